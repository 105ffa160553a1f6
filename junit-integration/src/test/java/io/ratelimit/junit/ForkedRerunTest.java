package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.ForkedJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Surefire-like fork with {@code rerunFailingTestsCount}: JUnit's launcher runs a suite, then its failed
 * tests again, selected by unique id in the same launcher session, against a loopback server that refuses a
 * window of requests with {@code Retry-After: 1}. The refused test ends throttled (not with its assertion on
 * the status); its re-run waits for the API's pause before its first request and passes; the report says
 * "throttled, passed on re-run". Counts and verdicts only, no timings.
 */
class ForkedRerunTest {
  private static final Duration BOUND = Duration.ofSeconds(120);

  @TempDir
  Path reports;

  /** Paced (a spacing, adaptive), and not paced at all (no spacing, fixed): the pause holds either way. */
  @ParameterizedTest(name = "PYTEST_RATE_LIMIT_DELAY={0}, PYTEST_ADAPTIVE_DELAY={1}")
  @CsvSource({"0.005, true", "0, false"})
  void aThrottledTestPassesOnReRunAfterThePauseAndTheReportSaysSo(String delay, String adaptive) throws Exception {
    try (RefusingWindowApi api = new RefusingWindowApi(2)) {
      Map<String, String> env = Map.ofEntries(
          Map.entry("PYTEST_RUN_ID", "rerun-" + UUID.randomUUID()),
          Map.entry("PYTEST_WORKER_ID", "fork-1"),
          Map.entry("PYTEST_WORKERS", "1"), // one test at a time: a request sent before the client heard of a pause is not early
          Map.entry("PYTEST_RATE_LIMIT_DELAY", delay),
          Map.entry("PYTEST_ADAPTIVE_DELAY", adaptive),
          Map.entry("PYTEST_MAX_RETRIES", "1"), // the request and one retry: both in the refused window
          Map.entry("PYTEST_STATS_REPORT", reports.toString()));
      try (ForkedJvm fork = ForkedJvm.start("fork-1", ForkedSuite.class, env, api.url("/"), "rerun")) {
        assertEquals("succeeded=1 failed=1", fork.awaitValue("FIRST", BOUND), fork.output());
        assertEquals("succeeded=1 failed=0", fork.awaitValue("RERUN", BOUND), fork.output());
        assertEquals(0, fork.awaitExit(BOUND), fork.output());
        assertTrue(fork.output().contains("FAILED throttledOnce(OkHttpClient) io.ratelimit.core.RateLimitExhaustedException"),
            "the first run ends throttled, not with the assertion on the status: " + fork.output());
        assertTrue(fork.output().contains("throttled, passed on re-run"), "the console summary: " + fork.output());
      }
      assertEquals(3, api.limited(), "two refused attempts, then the re-run's one request");
      assertEquals(0, api.early(), "no request arrived while the API's announced pause was running: the re-run waited for it: "
          + api.earlyPaths());

      JsonNode report = new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
      JsonNode tests = report.get("tests");
      assertEquals("throttled, passed on re-run", tests.get("Rerun#throttledOnce").get("verdict").asText(), tests.toString());
      assertEquals(1, tests.get("Rerun#throttledOnce").get("throttled").asInt());
      assertEquals(2, tests.get("Rerun#throttledOnce").get("runs").asInt());
      assertEquals("passed", tests.get("Rerun#fine").get("verdict").asText());
      assertEquals(0, report.get("totals").get("throttled").asInt(), "no test ended throttled");
      assertEquals(1, report.get("verdicts").get("throttled, passed on re-run").asInt(), report.get("verdicts").toString());
      assertEquals(1, report.get("totals").get("exhausted").asInt());
      assertTrue(Files.readString(reports.resolve("ratelimit-report.html")).contains("throttled, passed on re-run"));
    }
  }
}
