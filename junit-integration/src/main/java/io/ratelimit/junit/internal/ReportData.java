package io.ratelimit.junit.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the report shows, gathered from the whole run: the merged statistics, the run mode, the
 * configuration, every worker's suite timing and timeline.
 *
 * @param generatedAt when the report was made
 * @param stats merged statistics, per worker and per API
 * @param mode the run mode at the end
 * @param config effective settings with their sources
 * @param suite timing of the whole suite
 * @param timeline per worker, the cumulative counters sampled once a second
 * @param leaseWaits per resource (or {@code pool <name>}), the waits for leases of every worker
 * @param tests per test ({@code Class#method}), its figures over every worker
 * @param learned per API, the delay its refusals taught the run (with the adaptive delay; empty when none)
 * @param advice one line saying what to change, computed from the figures ({@link Advice})
 */
record ReportData(Instant generatedAt, RateLimitStats stats, RunMode mode, Map<String, Map<String, String>> config,
    Suite suite, Map<String, List<Timeline.Sample>> timeline, Map<String, LeaseWaits> leaseWaits, Map<String, TestFigures> tests,
    Map<String, Learned> learned, String advice) {

  /**
   * What an API's refusals taught the run (the widest any worker saw): the delay between starts it needed.
   *
   * @param configuredMs its configured delay
   * @param neededMs the delay the run learned it needs, kept as the floor for the rest of the run
   */
  record Learned(double configuredMs, double neededMs) {
    static Learned of(io.ratelimit.core.LearnedDelay d) {
      return new Learned(d.configured().toNanos() / 1e6, d.needed().toNanos() / 1e6);
    }

    Learned widest(Learned o) {
      return neededMs >= o.neededMs ? this : o;
    }
  }

  /** How many tests the "waited longest" and "got 429s" lists show. */
  static final int TOP = 10;

  /**
   * One test's figures (every run of it, on every worker): what it sent and what it waited for.
   *
   * @param runs times it ran (repeated and parameterized tests run more than once)
   * @param durationMs its own run time, waits before it started excluded
   * @param requests logical requests
   * @param attempts attempts on the wire
   * @param rateLimited of them, answered 429
   * @param retries retries after a 429 or 503
   * @param permitWaitMs waits for in-flight permits and start slots
   * @param turnWaitMs waits for its turn: a test thread, the run mode, {@code @RunAlone}, category caps
   * @param leaseWaitMs waits for its {@code @ExclusiveResource} and {@code @PoolResources} leases
   * @param throttled runs that ended throttled (the limiter gave up on one of its requests)
   * @param verdict how it ended, over every run ({@link Verdict}); null when no run's end was seen
   */
  record TestFigures(long runs, long durationMs, long requests, long attempts, long rateLimited, long retries, long permitWaitMs,
      long turnWaitMs, long leaseWaitMs, long throttled, String verdict) {

    /** Everything it waited for. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    long waitedMs() {
      return permitWaitMs + turnWaitMs + leaseWaitMs;
    }

    TestFigures plus(TestFigures o) {
      return new TestFigures(runs + o.runs, durationMs + o.durationMs, requests + o.requests, attempts + o.attempts,
          rateLimited + o.rateLimited, retries + o.retries, permitWaitMs + o.permitWaitMs, turnWaitMs + o.turnWaitMs,
          leaseWaitMs + o.leaseWaitMs, throttled + o.throttled, Verdict.worse(verdict, o.verdict));
    }

    /** A test's figures as one worker counts them while it runs. */
    static final class Tally {
      private final java.util.concurrent.atomic.LongAdder runs = new java.util.concurrent.atomic.LongAdder();
      private final java.util.concurrent.atomic.LongAdder nanos = new java.util.concurrent.atomic.LongAdder();
      private final java.util.concurrent.atomic.LongAdder turnNanos = new java.util.concurrent.atomic.LongAdder();
      private final java.util.concurrent.atomic.LongAdder leaseNanos = new java.util.concurrent.atomic.LongAdder();
      /** By unique id, how each execution ended: a re-run in the same launcher session adds to its id's list. */
      private final Map<String, List<Verdict.Outcome>> executions = new java.util.concurrent.ConcurrentHashMap<>();

      void ran(long durationNanos) {
        runs.increment();
        nanos.add(durationNanos);
      }

      void waited(long turn, long lease) {
        turnNanos.add(turn);
        leaseNanos.add(lease);
      }

      void ended(String uniqueId, Verdict.Outcome outcome) {
        executions.computeIfAbsent(uniqueId, id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(outcome);
      }

      /** With the requests the core counted for the test. */
      TestFigures figures(io.ratelimit.core.ApiStats requests) {
        long throttled = executions.values().stream().flatMap(List::stream).filter(o -> o == Verdict.Outcome.THROTTLED).count();
        String verdict = executions.values().stream().map(e -> Verdict.of(e).label()).reduce(null, Verdict::worse);
        return new TestFigures(runs.sum(), ms(nanos.sum()), requests.requests(), requests.attempts(), requests.rateLimited(),
            requests.retries(), requests.permitWaitMs(), ms(turnNanos.sum()), ms(leaseNanos.sum()), throttled, verdict);
      }

      private static long ms(long nanos) {
        return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos);
      }
    }
  }

  /** The ten tests that waited longest (permits, turn and leases together), longest first. */
  List<Map.Entry<String, TestFigures>> topWaiters() {
    return tests.entrySet().stream().filter(e -> e.getValue().waitedMs() > 0)
        .sorted(java.util.Comparator.comparingLong((Map.Entry<String, TestFigures> e) -> e.getValue().waitedMs()).reversed()
            .thenComparing(Map.Entry::getKey))
        .limit(TOP).toList();
  }

  /** The ten tests that got the most 429s, most first. */
  List<Map.Entry<String, TestFigures>> topRateLimited() {
    return tests.entrySet().stream().filter(e -> e.getValue().rateLimited() > 0)
        .sorted(java.util.Comparator.comparingLong((Map.Entry<String, TestFigures> e) -> e.getValue().rateLimited()).reversed()
            .thenComparing(Map.Entry::getKey))
        .limit(TOP).toList();
  }

  /** How many tests ended with each verdict ({@link Verdict}, best first), for the tests whose end was seen. */
  Map<String, Long> verdicts() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Verdict v : Verdict.values()) {
      long n = tests.values().stream().filter(t -> v.label().equals(t.verdict())).count();
      if (n > 0) {
        out.put(v.label(), n);
      }
    }
    return out;
  }

  /** Tests that ended throttled: the limiter gave up on one of their requests; they say nothing about the code. */
  long throttledTests() {
    return verdicts().getOrDefault(Verdict.THROTTLED.label(), 0L);
  }

  /** The tests that were throttled at some run (passed on re-run or not), most 429s first. */
  List<Map.Entry<String, TestFigures>> throttledList() {
    return tests.entrySet().stream().filter(e -> e.getValue().throttled() > 0)
        .sorted(java.util.Comparator.comparingLong((Map.Entry<String, TestFigures> e) -> e.getValue().rateLimited()).reversed()
            .thenComparing(Map.Entry::getKey))
        .toList();
  }

  /**
   * @param acquisitions leases asked for
   * @param unavailable of them, not granted within their bound
   * @param totalWaitMs waits summed
   * @param maxWaitMs the longest wait
   */
  record LeaseWaits(long acquisitions, long unavailable, long totalWaitMs, long maxWaitMs) {
    static LeaseWaits of(io.ratelimit.core.LeaseWaitStats w) {
      return new LeaseWaits(w.acquisitions(), w.unavailable(), w.totalWait().toMillis(), w.maxWait().toMillis());
    }

    LeaseWaits plus(LeaseWaits o) {
      return new LeaseWaits(acquisitions + o.acquisitions, unavailable + o.unavailable, totalWaitMs + o.totalWaitMs,
          Math.max(maxWaitMs, o.maxWaitMs));
    }
  }

  /**
   * @param wallMs from the first worker's start to the last one's end
   * @param testTimeMs the tests' own run times, summed: roughly what a sequential run would take
   * @param speedup testTimeMs / wallMs
   * @param tests tests run
   * @param workers workers that reported
   */
  record Suite(long wallMs, long testTimeMs, double speedup, int tests, int workers) {}

  static ReportData collect(RateLimitCoordinator coordinator, RateLimitConfig config) {
    long start = Long.MAX_VALUE;
    long end = 0;
    long testTime = 0;
    int tests = 0;
    Map<String, RunDocuments.SuiteTiming> suites = coordinator.published(RunDocuments.SUITE);
    for (RunDocuments.SuiteTiming s : suites.values()) {
      start = Math.min(start, s.startMs());
      end = Math.max(end, s.endMs());
      testTime += s.testTimeMs();
      tests += s.tests();
    }
    long wall = suites.isEmpty() ? 0 : Math.max(1, end - start);
    double speedup = wall == 0 ? 0 : Math.round(100.0 * testTime / wall) / 100.0;

    Map<String, List<Timeline.Sample>> timeline = new TreeMap<>(coordinator.published(RunDocuments.TIMELINE));
    Map<String, LeaseWaits> leaseWaits = new TreeMap<>();
    coordinator.published(RunDocuments.LEASES).values().forEach(doc -> doc.forEach((resource, w) -> leaseWaits.merge(resource, w, LeaseWaits::plus)));
    Map<String, Learned> learned = new TreeMap<>();
    coordinator.published(RunDocuments.LEARNED).values().forEach(doc -> doc.forEach((api, l) -> learned.merge(api, l, Learned::widest)));
    Map<String, TestFigures> testFigures = new TreeMap<>();
    coordinator.published(RunDocuments.TESTS).values().forEach(doc -> doc.forEach((test, f) -> testFigures.merge(test, f, TestFigures::plus)));
    RateLimitStats stats = coordinator.statistics();
    Suite suite = new Suite(wall, testTime, speedup, tests, suites.size());
    return new ReportData(Instant.now(), stats, coordinator.runMode(), config.describeAsMap(), suite, timeline, leaseWaits, testFigures,
        learned, Advice.of(stats.totals(), config, suite, timeline, leaseWaits, testFigures, learned));
  }

  /** The JSON document: totals, workers, apis, mode, config, suite, lease waits, advice, tests, timeline. */
  Map<String, Object> toJsonTree() {
    Map<String, Object> doc = new LinkedHashMap<>();
    JsonNode statsJson = Json.read(stats.toJson());
    doc.put("generatedAt", generatedAt.toString());
    doc.put("coordination", stats.coordination());
    com.fasterxml.jackson.databind.node.ObjectNode totals = statsJson.get("totals").deepCopy();
    totals.put("throttled", throttledTests()); // tests, not requests: the ones that ended throttled
    doc.put("totals", totals);
    doc.put("workers", statsJson.get("workers"));
    doc.put("apis", statsJson.get("apis"));
    Map<String, Object> modeJson = new LinkedHashMap<>();
    modeJson.put("sequential", mode.sequential());
    modeJson.put("switchedAt", mode.switchedAt().map(Instant::toString).orElse(null));
    modeJson.put("reason", mode.reason().orElse(null));
    doc.put("mode", modeJson);
    doc.put("config", config);
    doc.put("suite", suite);
    doc.put("leaseWaits", leaseWaits);
    doc.put("learnedDelays", learned);
    doc.put("advice", advice);
    doc.put("verdicts", verdicts());
    doc.put("tests", tests);
    doc.put("topWaiters", topWaiters().stream().map(Map.Entry::getKey).toList());
    doc.put("topRateLimited", topRateLimited().stream().map(Map.Entry::getKey).toList());
    doc.put("timeline", timeline);
    return doc;
  }
}
