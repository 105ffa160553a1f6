package io.ratelimit.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An immutable snapshot of what the limiter did, per worker and per API; summed over all workers of the
 * cluster when one is running. Serialises to JSON ({@link #toJson()}) and to a short human summary
 * ({@link #summary()}).
 */
public final class RateLimitStats {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final String coordination;
  private final Map<String, Map<String, ApiStats>> byWorker;

  /**
   * @param coordination how the limits were shared, e.g. {@code local} or {@code cluster (4 members)}
   * @param byWorker worker id to API name to that worker's counters for that API
   */
  public RateLimitStats(String coordination, Map<String, Map<String, ApiStats>> byWorker) {
    this.coordination = Objects.requireNonNull(coordination);
    Map<String, Map<String, ApiStats>> copy = new TreeMap<>();
    byWorker.forEach((worker, apis) -> copy.put(worker, Map.copyOf(new TreeMap<>(apis))));
    this.byWorker = java.util.Collections.unmodifiableMap(copy);
  }

  /** How the limits were shared between workers: {@code local}, {@code cluster (N members)}, or a fallback with its reason. */
  public String coordination() {
    return coordination;
  }

  /** Everything, summed. */
  public ApiStats totals() {
    return byWorker.values().stream().flatMap(m -> m.values().stream()).reduce(ApiStats.EMPTY, ApiStats::plus);
  }

  /** Summed over workers, per API name. */
  public Map<String, ApiStats> byApi() {
    Map<String, ApiStats> out = new TreeMap<>();
    byWorker.values().forEach(apis -> apis.forEach((api, s) -> out.merge(api, s, ApiStats::plus)));
    return out;
  }

  /** Summed over APIs, per worker id. */
  public Map<String, ApiStats> byWorker() {
    Map<String, ApiStats> out = new TreeMap<>();
    byWorker.forEach((worker, apis) -> out.put(worker, apis.values().stream().reduce(ApiStats.EMPTY, ApiStats::plus)));
    return out;
  }

  /** One API's counters summed over workers ({@link ApiStats#EMPTY} if it made no request). */
  public ApiStats api(String name) {
    return byApi().getOrDefault(name, ApiStats.EMPTY);
  }

  /** Per worker, per API: the raw data this snapshot holds. */
  public Map<String, Map<String, ApiStats>> byWorkerAndApi() {
    return byWorker;
  }

  /** The snapshot as a JSON document: {@code coordination}, {@code totals}, {@code apis} and {@code workers}. */
  public String toJson() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("coordination", coordination);
    doc.put("totals", totals());
    doc.put("apis", named("name", byApi()));
    doc.put("workers", named("workerId", byWorker()));
    try {
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Map<String, Object>> named(String label, Map<String, ApiStats> stats) {
    List<Map<String, Object>> out = new ArrayList<>();
    stats.forEach((name, s) -> {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put(label, name);
      row.putAll(JSON.convertValue(s, Map.class));
      out.add(row);
    });
    return out;
  }

  /** A few lines for a console: totals, rates and waits. */
  public String summary() {
    ApiStats t = totals();
    return String.format(java.util.Locale.ROOT,
        "rate limiting (%s): %d requests, %d attempts, %d answered 429 (%.1f%% of attempts)%n"
            + "  retries %d (rate %.3f), succeeded after retry %d, exhausted %d, I/O errors %d, success rate %.1f%%%n"
            + "  retry delay avg %.0f ms, max %d ms; waiting for permits %d ms in all, max %d ms",
        coordination, t.requests(), t.attempts(), t.rateLimited(), 100 * t.rateLimitedShare(),
        t.retries(), t.retryRate(), t.succeededAfterRetry(), t.exhausted(), t.ioErrors(), 100 * t.successRate(),
        t.avgRetryDelayMs(), t.retryDelayMaxMs(), t.permitWaitMs(), t.permitWaitMaxMs());
  }

  @Override
  public String toString() {
    return summary();
  }
}
