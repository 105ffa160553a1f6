package io.ratelimit.junit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * A worker JVM that runs {@link Fixture} through JUnit's own launcher, as a Surefire fork does, so the
 * launcher session (and with it the report) ends as it would in a real build. Usage: {@code ForkedSuite url [hang|exclusive-alone|rerun|junit-locks|junit-locks-off|lock-hang|lock-wait]};
 * with {@code hang} it also runs {@link Hanging}, whose test never ends (until the JVM is killed); with
 * {@code exclusive-alone} it runs {@link ExclusiveAlone} instead of {@link Fixture}; with {@code rerun}, {@link Rerun}
 * and then its failed tests again, as Surefire's {@code rerunFailingTestsCount} does. With {@code junit-locks},
 * {@code lock-hang} or {@code lock-wait} it runs {@link LockFixtures} with JUnit's extension auto-detection
 * on ({@code junit-locks-off}: the same without it, so only {@link LockFixtures.Others} has the extension).
 */
public final class ForkedSuite {
  static String url;

  private ForkedSuite() {}

  public static void main(String[] args) {
    url = args[0];
    Map<String, String> parameters = new HashMap<>();
    parameters.put("junit.jupiter.execution.parallel.enabled", "true");
    parameters.put("junit.jupiter.execution.parallel.mode.default", "concurrent");
    parameters.put("junit.jupiter.execution.parallel.config.strategy", "custom");
    parameters.put("junit.jupiter.execution.parallel.config.custom.class", WorkersParallelismStrategy.class.getName());
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    try (LauncherSession session = LauncherFactory.openSession()) {
      String mode = args.length > 1 ? args[1] : "";
      LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
      if (mode.startsWith("junit-locks") || mode.startsWith("lock-")) {
        if (!mode.equals("junit-locks-off")) {
          parameters.put("junit.jupiter.extensions.autodetection.enabled", "true");
        }
        Class<?>[] fixtures = mode.equals("lock-hang") ? new Class<?>[] {LockFixtures.HangingWriter.class}
            : mode.equals("lock-wait") ? new Class<?>[] {LockFixtures.LateWriter.class}
            : new Class<?>[] {LockFixtures.Writers.class, LockFixtures.ExclusiveWriter.class, LockFixtures.Readers.class,
                LockFixtures.Alone.class, LockFixtures.Others.class};
        for (Class<?> fixture : fixtures) {
          request.selectors(selectClass(fixture));
        }
      } else {
        request.selectors(selectClass(mode.equals("exclusive-alone") ? ExclusiveAlone.class : Fixture.class));
      }
      request.configurationParameters(parameters);
      if (mode.equals("hang")) {
        request.selectors(selectClass(Hanging.class));
      }
      if (mode.equals("rerun")) {
        rerun(session, parameters);
      } else {
        session.getLauncher().execute(request.build(), summary);
      }
    } // the session's end writes the report
    if (args.length > 1 && args[1].equals("rerun")) {
      System.exit(0);
    }
    System.out.println("SUITE succeeded=" + summary.getSummary().getTestsSucceededCount() + " failed="
        + summary.getSummary().getTestsFailedCount());
    System.exit(0);
  }

  /**
   * Runs {@link Rerun}, then runs its failed tests again in the same launcher session, selected by unique id,
   * as Surefire's {@code rerunFailingTestsCount} does; prints each failure's exception and both summaries.
   */
  private static void rerun(LauncherSession session, Map<String, String> parameters) {
    java.util.List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.junit.platform.launcher.TestExecutionListener failures = new org.junit.platform.launcher.TestExecutionListener() {
      @Override
      public void executionFinished(org.junit.platform.launcher.TestIdentifier id, org.junit.platform.engine.TestExecutionResult result) {
        if (id.isTest() && result.getStatus() == org.junit.platform.engine.TestExecutionResult.Status.FAILED) {
          failed.add(id.getUniqueId());
          System.out.println("FAILED " + id.getDisplayName() + " " + result.getThrowable().map(t -> t.getClass().getName()).orElse(""));
        }
      }
    };
    SummaryGeneratingListener first = new SummaryGeneratingListener();
    session.getLauncher().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Rerun.class))
        .configurationParameters(parameters).build(), first, failures);
    java.util.List<String> rerun = java.util.List.copyOf(failed);
    failed.clear();
    SummaryGeneratingListener again = new SummaryGeneratingListener();
    session.getLauncher().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(rerun.stream().map(org.junit.platform.engine.discovery.DiscoverySelectors::selectUniqueId).toList())
        .configurationParameters(parameters).build(), again, failures);
    System.out.println("FIRST succeeded=" + first.getSummary().getTestsSucceededCount() + " failed="
        + first.getSummary().getTestsFailedCount());
    System.out.println("RERUN succeeded=" + again.getSummary().getTestsSucceededCount() + " failed="
        + again.getSummary().getTestsFailedCount());
  }

  /**
   * A test the API refuses while its window lasts (its request and its one retry, each answered 429 with
   * {@code Retry-After: 1}): it asserts 200, so without the extension it would read as a regression. And a
   * test the window does not touch.
   */
  @RateLimitedApiTest
  public static class Rerun {
    @Test void throttledOnce(okhttp3.OkHttpClient c) { org.junit.jupiter.api.Assertions.assertEquals(200, status(c, "/limited")); }
    @Test void fine(okhttp3.OkHttpClient c) { org.junit.jupiter.api.Assertions.assertEquals(200, status(c, "/items")); }

    static int status(okhttp3.OkHttpClient client, String path) {
      String target = okhttp3.HttpUrl.get(url).newBuilder().encodedPath(path).build().toString();
      try (okhttp3.Response r = client.newCall(new okhttp3.Request.Builder().url(target).build()).execute()) {
        r.body().string();
        return r.code();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** A test stuck in a request that never ends, holding its permit: the worker that runs it is killed. */
  @RateLimitedApiTest
  public static class Hanging {
    @Test void stuck(okhttp3.OkHttpClient c) { Fixture.calls(c, "/hang"); }
  }

  /**
   * Tests that each need the shared account alone, on a class with no other annotation: each holds the
   * account through one slow request sent with a plain client (not limited), so only the lease can keep
   * two of them from the server at once.
   */
  @ExclusiveResource("shared-account")
  public static class ExclusiveAlone {
    private static final okhttp3.OkHttpClient PLAIN = new okhttp3.OkHttpClient();
    @Test void a1() { Fixture.calls(PLAIN, "/account", 1); }
    @Test void a2() { Fixture.calls(PLAIN, "/account", 1); }
    @Test void a3() { Fixture.calls(PLAIN, "/account", 1); }
    @Test void a4() { Fixture.calls(PLAIN, "/account", 1); }
    @Test void a5() { Fixture.calls(PLAIN, "/account", 1); }
  }

  /** Ten API tests, five of them tagged e2e (one request at a time each, so in-flight requests on /e2e count running e2e tests). */
  @RateLimitedApiTest
  public static class Fixture {
    @Test @Tag("e2e") void t1(okhttp3.OkHttpClient c) { calls(c, "/e2e"); }
    @Test @Tag("e2e") void t2(okhttp3.OkHttpClient c) { calls(c, "/e2e"); }
    @Test @Tag("e2e") void t3(okhttp3.OkHttpClient c) { calls(c, "/e2e"); }
    @Test @Tag("e2e") void t4(okhttp3.OkHttpClient c) { calls(c, "/e2e"); }
    @Test @Tag("e2e") void t5(okhttp3.OkHttpClient c) { calls(c, "/e2e"); }
    @Test void t6(okhttp3.OkHttpClient c) { calls(c, "/items"); }
    @Test void t7(okhttp3.OkHttpClient c) { calls(c, "/items"); }
    @Test void t8(okhttp3.OkHttpClient c) { calls(c, "/items"); }
    @Test void t9(okhttp3.OkHttpClient c) { calls(c, "/items"); }
    @Test void t10(okhttp3.OkHttpClient c) { calls(c, "/items"); }

    static void calls(okhttp3.OkHttpClient client, String path) {
      calls(client, path, 5);
    }

    static void calls(okhttp3.OkHttpClient client, String path, int times) {
      for (int i = 0; i < times; i++) {
        String target = okhttp3.HttpUrl.get(url).newBuilder().encodedPath(path).build().toString();
        try (okhttp3.Response r = client.newCall(new okhttp3.Request.Builder().url(target).build()).execute()) {
          r.body().string();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
  }
}
