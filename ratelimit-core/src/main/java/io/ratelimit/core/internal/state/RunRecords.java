package io.ratelimit.core.internal.state;

import io.ratelimit.core.RateLimitStats;
import java.util.Map;

/** What the run records: every worker's counters, the documents workers share, and claims. */
public interface RunRecords {
  /** The statistics of every worker sharing this state, merged. */
  RateLimitStats statistics();

  /** Shares this worker's latest document of a kind (e.g. its suite timing), replacing the previous one. */
  void publish(String kind, String document);

  /** Every worker's latest document of a kind, by worker id. */
  Map<String, String> published(String kind);

  /** True for the first caller of the run to claim {@code key}, false for every later one. */
  boolean claim(String key);
}
