package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.ResourceLeases;
import io.ratelimit.junit.internal.RateLimitSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** The extension run by JUnit itself (EngineTestKit) against a real loopback server. */
class RateLimitExtensionTest {
  static TestApi api;
  static final List<Object> SEEN = new CopyOnWriteArrayList<>();
  static final List<Object> FIRST = new CopyOnWriteArrayList<>();
  static final List<Object> SECOND = new CopyOnWriteArrayList<>();

  @TempDir
  Path reports;

  @BeforeEach
  void start() throws IOException {
    SEEN.clear();
    FIRST.clear();
    SECOND.clear();
    Overlap.reset();
  }

  @AfterEach
  void stop() throws IOException {
    RateLimitSession.finishCurrent();
    if (api != null) {
      api.close();
      api = null;
    }
  }

  private Events run(Class<?> fixture, Map<String, String> parameters) {
    Map<String, String> all = new HashMap<>(parameters);
    all.put("ratelimit.cluster-mode", "local");
    all.put("ratelimit.stats-report", reports.toString());
    all.putIfAbsent("ratelimit.rate-limit-delay", "0");
    return EngineTestKit.engine("junit-jupiter").configurationParameters(all).selectors(selectClass(fixture)).execute().testEvents();
  }

  private static Map<String, String> parallel(int threads) {
    return Map.of("junit.jupiter.execution.parallel.enabled", "true", "junit.jupiter.execution.parallel.mode.default", "concurrent",
        "junit.jupiter.execution.parallel.config.strategy", "fixed", "junit.jupiter.execution.parallel.config.fixed.parallelism",
        Integer.toString(threads), "ratelimit.workers", Integer.toString(threads));
  }

  static int get(OkHttpClient client, String path) {
    try (Response r = client.newCall(new Request.Builder().url(api.url(path)).build()).execute()) {
      r.body().string();
      return r.code();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- injection

  @RateLimitedApiTest
  static class InjectionFixture {
    @Test
    void first(OkHttpClient client, RateLimitStats stats, WorkerInfo worker, @TestPrefix String prefix, @Api("billing") OkHttpClient billing) {
      FIRST.addAll(List.of(client, stats, worker, prefix, billing));
      assertEquals(200, get(client, "/x"));
    }

    @Test
    void second(OkHttpClient client, @TestPrefix String prefix) {
      SECOND.addAll(List.of(client, prefix));
    }
  }

  @Test
  void injectsClientsStatsWorkerInfoAndUniquePrefixes() throws IOException {
    api = new TestApi(0, 0);
    run(InjectionFixture.class, Map.of()).assertStatistics(s -> s.succeeded(2));

    OkHttpClient client = (OkHttpClient) FIRST.get(0);
    assertEquals(1, ((RateLimitStats) FIRST.get(1)).totals().requests() + 1, "a live snapshot, taken before the request");
    WorkerInfo worker = (WorkerInfo) FIRST.get(2);
    assertTrue(worker.coordination().startsWith("local"), worker.toString());
    assertEquals(1, worker.clusterSize());
    assertFalse(worker.runMode().sequential());
    String prefix = (String) FIRST.get(3);
    assertTrue(prefix.matches("w[A-Za-z0-9]+-[a-z0-9]+-[0-9]+-first-"), prefix);
    assertNotEquals(client, FIRST.get(4), "the billing API has a client of its own");
    assertEquals(client, SECOND.get(0), "one client per API per JVM");
    assertNotEquals(prefix, SECOND.get(1));
  }

  @Test
  void eachTestPublishesItsFiguresAsAReportEntry() throws IOException {
    api = new TestApi(0, 0);
    Events events = EngineTestKit.engine("junit-jupiter")
        .configurationParameters(Map.of("ratelimit.cluster-mode", "local", "ratelimit.stats-report", reports.toString(),
            "ratelimit.rate-limit-delay", "0"))
        .selectors(selectClass(InjectionFixture.class)).execute().allEvents();
    List<Map<String, String>> entries = events.reportingEntryPublished().stream()
        .map(e -> e.getRequiredPayload(org.junit.platform.engine.reporting.ReportEntry.class).getKeyValuePairs()).toList();
    assertEquals(2, entries.stream().filter(e -> e.containsKey("ratelimit.requests")).count(), "one entry for each test: " + entries);
    assertTrue(entries.stream().anyMatch(e -> "1".equals(e.get("ratelimit.requests")) && "1".equals(e.get("ratelimit.attempts"))
        && "0".equals(e.get("ratelimit.rateLimited"))), "the test that sent one request says so: " + entries);
    assertTrue(entries.stream().anyMatch(e -> "0".equals(e.get("ratelimit.requests"))), "the one that sent none too: " + entries);
    List<Map<String, String>> reportPaths = entries.stream().filter(e -> e.containsKey("ratelimit.report")).toList();
    assertEquals(1, reportPaths.size(), "the engine publishes where the run's report will be, once: " + entries);
    assertEquals(reports.resolve("ratelimit-report.html").toAbsolutePath().toString(), reportPaths.get(0).get("ratelimit.report"));
  }

  // ---- named APIs, plain clients, bad configuration

  @RateLimitedApiTest
  static class TwoApisFixture {
    @Test
    void hammerBoth(OkHttpClient main, @Api("billing") OkHttpClient billing) throws Exception {
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> get(main, "/main")));
        calls.add(CompletableFuture.supplyAsync(() -> get(billing, "/billing")));
      }
      for (CompletableFuture<Integer> c : calls) {
        assertEquals(200, c.get(30, TimeUnit.SECONDS));
      }
    }
  }

  @Test
  void aNamedApiKeepsToItsOwnLimits() throws IOException {
    api = new TestApi(50, 0);
    run(TwoApisFixture.class, Map.of("ratelimit.max-concurrent-requests", "3", "ratelimit.api.billing.max-concurrent-requests", "1"))
        .assertStatistics(s -> s.succeeded(1));
    assertEquals(3, api.maxInFlight("/main"));
    assertEquals(1, api.maxInFlight("/billing"));
  }

  @RateLimitedApiTest
  static class PlainFixture {
    @Test
    void gets429(OkHttpClient client, RateLimitStats before) {
      SEEN.add(get(client, "/x"));
    }
  }

  @Test
  void withRateLimitingOffTheClientIsPlainButCounted() throws IOException {
    api = new TestApi(0, 1);
    run(PlainFixture.class, Map.of("ratelimit.rate-limited", "false")).assertStatistics(s -> s.succeeded(1));
    assertEquals(List.of(429), SEEN);
    assertEquals(1, api.received());
  }

  @Test
  void aBadSettingFailsTheTestsWithItsName() {
    Events events = run(InjectionFixture.class, Map.of("ratelimit.max-retries", "many"));
    events.assertStatistics(s -> s.failed(2));
    String message = events.failed().stream().findFirst().orElseThrow().getPayload(org.junit.platform.engine.TestExecutionResult.class)
        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("");
    assertTrue(message.contains("ratelimit.max-retries") && message.contains("'many'"), message);
    Throwable thrown = events.failed().stream().findFirst().orElseThrow().getPayload(org.junit.platform.engine.TestExecutionResult.class)
        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
    assertEquals(ExtensionConfigurationException.class, thrown.getClass(), "reported as JUnit reports a configuration error");
  }

  // ---- each annotation alone, on a class with no other annotation

  static class ParametersAloneFixture {
    @Test
    void takesEverything(@Api OkHttpClient client, @Api("billing") OkHttpClient billing, RateLimitStats stats, WorkerInfo worker,
        ResourceLeases leases, @TestPrefix String prefix) {
      FIRST.addAll(List.of(client, billing, stats, worker, leases, prefix));
      assertEquals(200, get(client, "/x"));
    }

    @Test
    void takesAPrefix(@TestPrefix String prefix) {
      SECOND.add(prefix);
    }
  }

  @Test
  void annotatedParametersTurnTheExtensionOnByThemselves() throws IOException {
    api = new TestApi(0, 0);
    run(ParametersAloneFixture.class, Map.of()).assertStatistics(s -> s.succeeded(2));
    assertEquals(6, FIRST.size(), FIRST.toString());
    assertEquals(1, api.received());
    assertEquals(1, RateLimitSession.current().orElseThrow().coordinator().statistics().totals().requests(), "the client is limited and counted");
    assertEquals(1, SECOND.size());
  }

  static class AutodetectedFixture {
    @Test
    void plainParameters(OkHttpClient client, RateLimitStats stats, WorkerInfo worker, ResourceLeases leases) {
      FIRST.addAll(List.of(client, stats, worker, leases));
      assertEquals(200, get(client, "/x"));
    }
  }

  static class NothingAskedFixture {
    @Test
    void plain() {
      SEEN.add("ran");
    }
  }

  @Test
  void withJUnitsAutodetectionPlainParametersWorkAndOtherTestsAreLeftAlone() throws IOException {
    api = new TestApi(0, 0);
    Map<String, String> autodetect = Map.of("junit.jupiter.extensions.autodetection.enabled", "true");
    run(NothingAskedFixture.class, autodetect).assertStatistics(s -> s.succeeded(1));
    assertTrue(RateLimitSession.current().isEmpty(), "a test that asks for nothing starts nothing");
    run(AutodetectedFixture.class, autodetect).assertStatistics(s -> s.succeeded(1));
    assertEquals(4, FIRST.size(), FIRST.toString());
    assertEquals(1, RateLimitSession.current().orElseThrow().coordinator().statistics().totals().requests());
  }

  /**
   * Under auto-detection: one test runs alone, the others ask for nothing (each sends a slow request with a
   * plain client of its own, which the extension knows nothing of).
   */
  static class BystandersFixture {
    private static final OkHttpClient PLAIN = new OkHttpClient();

    @Test @RunAlone void alone(OkHttpClient c) { CategoryFixture.slow(c, "alone"); }
    @Test void b1() { bystander("b1"); }
    @Test void b2() { bystander("b2"); }
    @Test void b3() { bystander("b3"); }

    static void bystander(String name) {
      long start = Overlap.begin();
      SEEN.add(RateLimitSession.current().orElseThrow().coordinator().permitsHeld(io.ratelimit.core.PermitName.tests()));
      assertEquals(200, get(PLAIN, "/slow"));
      Overlap.end(name, start, false);
    }
  }

  @Test
  void withAutodetectionATestThatAsksForNothingStillTakesItsTurnOnceItsJvmIsInTheRun() throws IOException {
    api = new TestApi(150, 0);
    Map<String, String> p = new HashMap<>(parallel(4));
    p.put("junit.jupiter.extensions.autodetection.enabled", "true");
    run(AutodetectedFixture.class, p).assertStatistics(s -> s.succeeded(1)); // this JVM joins the run
    run(BystandersFixture.class, p).assertStatistics(s -> s.succeeded(4));
    Overlap.Interval alone = Overlap.INTERVALS.stream().filter(i -> i.name().equals("alone")).findFirst().orElseThrow();
    assertFalse(Overlap.overlapsAnother(alone), "no test beside the one that runs alone: " + Overlap.INTERVALS);
    assertTrue(SEEN.stream().allMatch(held -> (Integer) held >= 1), "each holds its turn while it runs: " + SEEN);
  }

  static class RunAloneOnAMethodFixture {
    @Test void a(@Api OkHttpClient c) { CategoryFixture.slow(c, "a"); }
    @Test void b(@Api OkHttpClient c) { CategoryFixture.slow(c, "b"); }
    @Test @RunAlone void alone(@Api OkHttpClient c) { CategoryFixture.slow(c, "alone"); }
    @Test void d(@Api OkHttpClient c) { CategoryFixture.slow(c, "d"); }
  }

  @Test
  void runAloneWorksWithoutAClassAnnotation() throws IOException {
    api = new TestApi(150, 0);
    run(RunAloneOnAMethodFixture.class, parallel(4)).assertStatistics(s -> s.succeeded(4));
    Overlap.Interval alone = Overlap.INTERVALS.stream().filter(i -> i.name().equals("alone")).findFirst().orElseThrow();
    assertFalse(Overlap.overlapsAnother(alone), Overlap.INTERVALS.toString());
    assertTrue(Overlap.MAX_RUNNING.get() >= 2, "the others ran in parallel");
  }

  // ---- category caps, run alone, sequential

  @RateLimitedApiTest
  static class CategoryFixture {
    @Test @Tag("e2e") void a(OkHttpClient c) { slow(c, "a"); }
    @Test @Tag("e2e") void b(OkHttpClient c) { slow(c, "b"); }
    @Test @Tag("e2e") void c(OkHttpClient c) { slow(c, "c"); }
    @Test @Tag("e2e") void d(OkHttpClient c) { slow(c, "d"); }
    @Test @Tag("e2e") void e(OkHttpClient c) { slow(c, "e"); }
    @Test @Tag("e2e") void f(OkHttpClient c) { slow(c, "f"); }

    static void slow(OkHttpClient client, String name) {
      long start = Overlap.begin();
      get(client, "/slow");
      Overlap.end(name, start, false);
    }
  }

  @Test
  void aCategoryCapLimitsHowManyTaggedTestsRunAtOnce() throws IOException {
    api = new TestApi(150, 0);
    Map<String, String> p = new HashMap<>(parallel(6));
    p.put("ratelimit.category-limits", "e2e=2");
    run(CategoryFixture.class, p).assertStatistics(s -> s.succeeded(6));
    assertEquals(2, Overlap.MAX_RUNNING.get());
  }

  @Test
  void pytestWorkersCapsTheTestsRunningAtOnceInAJvmWhateverJUnitsPoolDoes() throws IOException {
    api = new TestApi(150, 0);
    Map<String, String> p = new HashMap<>(parallel(6));
    p.put("ratelimit.workers", "1"); // JUnit's pool runs 6 at once
    p.put("ratelimit.category-limits", "e2e=10");
    run(CategoryFixture.class, p).assertStatistics(s -> s.succeeded(6));
    assertEquals(1, Overlap.MAX_RUNNING.get(), "PYTEST_WORKERS=1: one test at a time " + Overlap.INTERVALS);
  }

  @RateLimitedApiTest
  static class RunAloneFixture {
    @Test void a(OkHttpClient c) { CategoryFixture.slow(c, "a"); }
    @Test void b(OkHttpClient c) { CategoryFixture.slow(c, "b"); }
    @Test @RunAlone void alone(OkHttpClient c) { CategoryFixture.slow(c, "alone"); }
    @Test void d(OkHttpClient c) { CategoryFixture.slow(c, "d"); }
  }

  @Test
  void aRunAloneTestOverlapsNoOther() throws IOException {
    api = new TestApi(150, 0);
    run(RunAloneFixture.class, parallel(4)).assertStatistics(s -> s.succeeded(4));
    Overlap.Interval alone = Overlap.INTERVALS.stream().filter(i -> i.name().equals("alone")).findFirst().orElseThrow();
    assertFalse(Overlap.overlapsAnother(alone), Overlap.INTERVALS.toString());
    assertTrue(Overlap.MAX_RUNNING.get() >= 2, "the others ran in parallel");
  }

  @RateLimitedApiTest
  @ExpectRateLimits // provokes 429s on purpose: its requests may run out of retries, and that is what it is about
  static class StormFixture {
    @Test void t1(OkHttpClient c, WorkerInfo w) { storm(c, w, "t1"); }
    @Test void t2(OkHttpClient c, WorkerInfo w) { storm(c, w, "t2"); }
    @Test void t3(OkHttpClient c, WorkerInfo w) { storm(c, w, "t3"); }
    @Test void t4(OkHttpClient c, WorkerInfo w) { storm(c, w, "t4"); }
    @Test void t5(OkHttpClient c, WorkerInfo w) { storm(c, w, "t5"); }
    @Test void t6(OkHttpClient c, WorkerInfo w) { storm(c, w, "t6"); }
    @Test void t7(OkHttpClient c, WorkerInfo w) { storm(c, w, "t7"); }
    @Test void t8(OkHttpClient c, WorkerInfo w) { storm(c, w, "t8"); }

    static void storm(OkHttpClient client, WorkerInfo worker, String name) {
      long start = Overlap.begin();
      for (int i = 0; i < 10; i++) {
        get(client, "/storm");
      }
      Overlap.end(name, start, worker.runMode().sequential());
    }
  }

  @Test
  void a429StormSwitchesTheRunToSequential() throws IOException {
    api = new TestApi(5, 60);
    Map<String, String> p = new HashMap<>(parallel(4));
    p.put("ratelimit.max-retries", "10");
    p.put("ratelimit.base-backoff", "0.01");
    p.put("ratelimit.max-backoff", "0.05");
    run(StormFixture.class, p).assertStatistics(s -> s.succeeded(8));

    List<Overlap.Interval> sequential = Overlap.INTERVALS.stream().filter(Overlap.Interval::startedSequential).toList();
    assertFalse(sequential.isEmpty(), "some tests started after the switch: " + Overlap.INTERVALS);
    sequential.forEach(i -> assertFalse(Overlap.overlapsAnother(i), i + " overlapped in " + Overlap.INTERVALS));
    assertTrue(RateLimitSession.current().orElseThrow().coordinator().runMode().reason().orElseThrow().contains("PYTEST_ERROR_THRESHOLD"));
  }

  @Test
  void disableParallelRunsSequentiallyFromTheStart() throws IOException {
    api = new TestApi(5, 0);
    run(StormFixture.class, Map.of("ratelimit.disable-parallel", "true", "junit.jupiter.execution.parallel.enabled", "true",
        "junit.jupiter.execution.parallel.mode.default", "concurrent")).assertStatistics(s -> s.succeeded(8));
    assertTrue(Overlap.INTERVALS.stream().allMatch(Overlap.Interval::startedSequential));
    assertEquals(1, Overlap.MAX_RUNNING.get());
  }
}
