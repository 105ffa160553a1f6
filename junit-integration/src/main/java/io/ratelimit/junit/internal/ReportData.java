package io.ratelimit.junit.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.time.Instant;
import java.util.ArrayList;
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
 */
record ReportData(Instant generatedAt, RateLimitStats stats, RunMode mode, Map<String, Map<String, String>> config,
    Suite suite, Map<String, List<Timeline.Sample>> timeline, Map<String, LeaseWaits> leaseWaits) {

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
    Map<String, String> suites = coordinator.published("suite");
    for (String doc : suites.values()) {
      JsonNode s = Json.read(doc);
      start = Math.min(start, s.get("startMs").asLong());
      end = Math.max(end, s.get("endMs").asLong());
      testTime += s.get("testTimeMs").asLong();
      tests += s.get("tests").asInt();
    }
    long wall = suites.isEmpty() ? 0 : Math.max(1, end - start);
    double speedup = wall == 0 ? 0 : Math.round(100.0 * testTime / wall) / 100.0;

    Map<String, List<Timeline.Sample>> timeline = new TreeMap<>();
    coordinator.published("timeline").forEach((worker, doc) -> {
      List<Timeline.Sample> samples = new ArrayList<>();
      Json.read(doc).forEach(n -> samples.add(new Timeline.Sample(n.get("epochSecond").asLong(), n.get("requests").asLong(),
          n.get("rateLimited").asLong(), n.get("retries").asLong())));
      timeline.put(worker, samples);
    });
    Map<String, LeaseWaits> leaseWaits = new TreeMap<>();
    coordinator.published("leases").values().forEach(doc -> Json.read(doc).fields().forEachRemaining(e -> leaseWaits.merge(e.getKey(),
        new LeaseWaits(e.getValue().get("acquisitions").asLong(), e.getValue().get("unavailable").asLong(),
            e.getValue().get("totalWaitMs").asLong(), e.getValue().get("maxWaitMs").asLong()), LeaseWaits::plus)));
    return new ReportData(Instant.now(), coordinator.statistics(), coordinator.runMode(), config.describeAsMap(),
        new Suite(wall, testTime, speedup, tests, suites.size()), timeline, leaseWaits);
  }

  /** The JSON document: totals, workers, apis, mode, config, suite, timeline. */
  Map<String, Object> toJsonTree() {
    Map<String, Object> doc = new LinkedHashMap<>();
    JsonNode statsJson = Json.read(stats.toJson());
    doc.put("generatedAt", generatedAt.toString());
    doc.put("coordination", stats.coordination());
    doc.put("totals", statsJson.get("totals"));
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
    doc.put("timeline", timeline);
    return doc;
  }
}
