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
 * launcher session (and with it the report) ends as it would in a real build. Usage: {@code ForkedSuite url [hang|exclusive-alone]};
 * with {@code hang} it also runs {@link Hanging}, whose test never ends (until the JVM is killed); with
 * {@code exclusive-alone} it runs {@link ExclusiveAlone} instead of {@link Fixture}. With {@code junit-locks},
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
      session.getLauncher().execute(request.build(), summary);
    }
    System.out.println("SUITE succeeded=" + summary.getSummary().getTestsSucceededCount() + " failed="
        + summary.getSummary().getTestsFailedCount());
    System.exit(0);
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
