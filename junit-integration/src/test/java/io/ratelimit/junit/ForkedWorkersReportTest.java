package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ratelimit.core.ForkedJvm;
import io.ratelimit.hazelcast.testing.FreePorts;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three worker JVMs run a suite through JUnit's launcher against one loopback server that answers its
 * first 60 requests with 429 and {@code Retry-After}: the run switches to sequential for all of them, a
 * category cap holds, and exactly one report is written for the whole run, with every worker's counts.
 */
class ForkedWorkersReportTest {
  private static final Duration BOUND = Duration.ofSeconds(120);

  @TempDir
  Path reports;

  @Test
  void threeForksWriteOneMergedReport() throws Exception {
    try (TestApi api = new TestApi(10, 60)) {
      Map<String, String> env = Map.ofEntries(
          Map.entry("PYTEST_RUN_ID", "report-" + UUID.randomUUID()),
          Map.entry("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10))),
          Map.entry("PYTEST_CLUSTER_PORT_COUNT", "10"),
          Map.entry("PYTEST_WORKERS", "3"),
          Map.entry("PYTEST_RATE_LIMIT_DELAY", "0.005"),
          // as many retries as the server has refusals: no request runs out of them, so no test ends throttled
          Map.entry("PYTEST_MAX_RETRIES", "60"),
          Map.entry("PYTEST_BASE_BACKOFF", "0.01"),
          Map.entry("PYTEST_MAX_BACKOFF", "0.05"),
          Map.entry("PYTEST_CATEGORY_LIMITS", "e2e=2"),
          Map.entry("PYTEST_STATS_REPORT", reports.toString()));
      List<ForkedJvm> forks = new ArrayList<>();
      for (int w = 1; w <= 3; w++) {
        Map<String, String> forkEnv = new java.util.HashMap<>(env);
        forkEnv.put("PYTEST_WORKER_ID", "fork-" + w);
        forks.add(ForkedJvm.start("fork-" + w, ForkedSuite.class, forkEnv, api.url("/items").toString()));
      }
      int summaries = 0;
      for (ForkedJvm fork : forks) {
        assertEquals("succeeded=10 failed=0", fork.awaitValue("SUITE", BOUND), fork.output());
        assertEquals(0, fork.awaitExit(BOUND));
        summaries += fork.output().contains("==== ratelimit-testkit ====") ? 1 : 0;
      }
      assertEquals(1, summaries, "one worker of the run writes the report: " + forks.stream().map(ForkedJvm::output).toList());
      assertTrue(api.maxInFlight("/e2e") <= 2, "e2e=2 caps tagged tests across the forks: " + api.maxInFlight("/e2e"));

      JsonNode report = new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
      assertEquals(api.received(), report.get("totals").get("attempts").asInt(), "attempts equal what the server received");
      assertEquals(150, report.get("totals").get("requests").asInt());
      assertEquals(3, report.get("workers").size());
      assertEquals(3, report.get("suite").get("workers").asInt());
      assertEquals(30, report.get("suite").get("tests").asInt());
      assertTrue(report.get("mode").get("sequential").asBoolean(), report.get("mode").toString());
      assertTrue(report.get("mode").get("reason").asText().contains("429"));
      assertTrue(report.get("timeline").size() == 3);
      // per test, over the three workers: each of the ten tests ran three times, five requests a run
      JsonNode tests = report.get("tests");
      assertEquals(10, tests.size(), tests.toString());
      long requests = 0;
      long rateLimited = 0;
      for (JsonNode t : tests) {
        assertEquals(3, t.get("runs").asInt(), t.toString());
        assertEquals(15, t.get("requests").asInt(), t.toString());
        requests += t.get("requests").asLong();
        rateLimited += t.get("rateLimited").asLong();
      }
      assertEquals(150, requests);
      assertEquals(report.get("totals").get("rateLimited").asLong(), rateLimited, "every 429 is some test's");
      assertEquals(0, report.get("totals").get("throttled").asInt());
      tests.forEach(t -> assertEquals("passed", t.get("verdict").asText(), t.toString()));
      assertTrue(report.get("topRateLimited").size() > 0 && report.get("topRateLimited").size() <= 10, report.get("topRateLimited").toString());
      assertTrue(report.get("topWaiters").size() > 0 && report.get("topWaiters").size() <= 10, report.get("topWaiters").toString());
      String advice = report.get("advice").asText();
      assertTrue(advice.contains("% of attempts were answered 429"), advice);
      String html = Files.readString(reports.resolve("ratelimit-report.html"));
      assertTrue(html.contains("<svg") && html.contains("fork-1") && html.contains("fork-3"));
      assertTrue(html.contains("Tests that waited longest") && html.contains("Tests that got 429s") && html.contains("Fixture#t1"), "per-test tables");
      assertTrue(html.contains(">0 s</text>") && html.contains("seconds since the first sample"), "a time axis in seconds");
      assertTrue(html.contains(HtmlReport_esc(advice)), "the advice is on the page");
      for (String external : List.of("<script", "src=", "href=", "@import", "url(")) {
        assertFalse(html.contains(external), "the page must open offline, found " + external);
      }
    }
  }

  /**
   * {@code @ExclusiveResource} on a class with no other annotation, in three worker JVMs running three
   * tests at once each: the server never sees two holders of the shared account at once.
   */
  @Test
  void exclusiveResourceAloneHoldsAcrossForks() throws Exception {
    try (TestApi api = new TestApi(100, 0)) {
      Map<String, String> env = Map.ofEntries(
          Map.entry("PYTEST_RUN_ID", "alone-" + UUID.randomUUID()),
          Map.entry("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10))),
          Map.entry("PYTEST_CLUSTER_PORT_COUNT", "10"),
          // forks starting at once on a loaded 2-core machine: room to form the cluster, which is what this test needs
          Map.entry("PYTEST_CLUSTER_JOIN_TIMEOUT", "30"),
          Map.entry("PYTEST_WORKERS", "3"),
          Map.entry("PYTEST_STATS_REPORT", reports.toString()));
      List<ForkedJvm> forks = new ArrayList<>();
      for (int w = 1; w <= 3; w++) {
        Map<String, String> forkEnv = new java.util.HashMap<>(env);
        forkEnv.put("PYTEST_WORKER_ID", "fork-" + w);
        forks.add(ForkedJvm.start("fork-" + w, ForkedSuite.class, forkEnv, api.url("/").toString(), "exclusive-alone"));
      }
      for (ForkedJvm fork : forks) {
        assertEquals("succeeded=5 failed=0", fork.awaitValue("SUITE", BOUND), fork.output());
        assertEquals(0, fork.awaitExit(BOUND));
        assertFalse(fork.output().contains("goes on in local mode"), "a fork that could not join holds leases only within itself: "
            + fork.output());
      }
      assertEquals(15, api.received());
      assertEquals(1, api.maxInFlight("/account"), "one holder of the shared account at a time, across the forks");
      JsonNode report = new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
      assertEquals(3, report.get("suite").get("workers").asInt(), "one run, one report: " + report.get("suite"));
      assertEquals(15, report.get("leaseWaits").get("shared-account").get("acquisitions").asInt(), report.get("leaseWaits").toString());
    }
  }

  private static String HtmlReport_esc(String text) {
    return org.owasp.encoder.Encode.forHtml(text);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + BOUND.toSeconds() + " s: " + what);
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000); // poll
    }
  }

  /**
   * The last worker, the one that would write the report, is killed (kill -9) in a test that holds a
   * permit: the workers that finished before it and waited write the one report, with the dead worker's
   * flushed counts, and the survivors' counts exactly as the server saw them.
   */
  @Test
  void whenTheLastWorkerDiesAWorkerThatWaitedWritesTheReport() throws Exception {
    try (TestApi api = new TestApi(10, 0)) {
      Map<String, String> env = Map.ofEntries(
          Map.entry("PYTEST_RUN_ID", "dead-writer-" + UUID.randomUUID()),
          Map.entry("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10))),
          Map.entry("PYTEST_CLUSTER_PORT_COUNT", "10"),
          Map.entry("PYTEST_WORKERS", "3"),
          Map.entry("PYTEST_RATE_LIMIT_DELAY", "0"),
          Map.entry("PYTEST_STATS_REPORT", reports.toString()));
      List<ForkedJvm> forks = new ArrayList<>();
      for (int w = 1; w <= 3; w++) {
        Map<String, String> forkEnv = new java.util.HashMap<>(env);
        forkEnv.put("PYTEST_WORKER_ID", "fork-" + w);
        forks.add(w == 3 ? ForkedJvm.start("fork-3", ForkedSuite.class, forkEnv, api.url("/items").toString(), "hang")
            : ForkedJvm.start("fork-" + w, ForkedSuite.class, forkEnv, api.url("/items").toString()));
      }
      ForkedJvm last = forks.get(2);
      // every test has run (3 x 50 requests) and the last worker sits in its stuck request; the other two
      // are done and wait for it (they print SUITE only once their session has ended)
      awaitTrue(() -> api.received() == 151 && api.hanging() == 1, "all requests sent, one stuck: " + api.received());
      try (io.ratelimit.core.RateLimitCoordinator observer = io.ratelimit.core.RateLimitCoordinator.start(
          io.ratelimit.settings.SettingsSource.ofEnvironment(env))) {
        awaitTrue(() -> observer.statistics().byWorker().getOrDefault("fork-3", io.ratelimit.core.ApiStats.EMPTY).attempts() == 51,
            "the last worker's counters, its stuck request included, are flushed");
        assertFalse(forks.get(0).output().contains("SUITE"), "the first worker waits for the others before leaving");
      } // the observer leaves first: one departure at a time, as in a real run
      last.kill9();

      int summaries = 0;
      for (ForkedJvm fork : forks.subList(0, 2)) {
        assertEquals(0, fork.awaitExit(BOUND), fork.output());
        summaries += fork.output().contains("==== ratelimit-testkit ====") ? 1 : 0;
      }
      assertEquals(1, summaries, "one survivor wrote the report");
      JsonNode report = new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
      assertEquals(3, report.get("workers").size(), report.get("workers").toString());
      Map<String, Integer> attempts = new java.util.TreeMap<>();
      report.get("workers").forEach(w -> attempts.put(w.get("workerId").asText(), w.get("attempts").asInt()));
      // the survivors' counts exactly; the dead worker's as flushed, its stuck request included
      assertEquals(Map.of("fork-1", 50, "fork-2", 50, "fork-3", 51), attempts);
      assertEquals(api.received(), report.get("totals").get("attempts").asInt(), "attempts equal what the server received");
    }
  }
}
