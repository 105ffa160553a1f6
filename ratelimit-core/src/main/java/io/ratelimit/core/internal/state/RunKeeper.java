package io.ratelimit.core.internal.state;

import io.ratelimit.core.ApiStats;
import java.util.Map;

/**
 * Where a run on one machine keeps its counters and documents beyond its cluster's life: an embedded
 * cluster ends with the last JVM in it, and the next fork of the same build (Surefire's
 * {@code reuseForks=false}) forms a new one. What each JVM kept on leaving is merged into the run's
 * statistics and documents, so forks that never overlap lose nothing. Also gives this JVM its worker id
 * in the run (unique among the forks that ever took part) and marks it present while it runs.
 */
public interface RunKeeper extends AutoCloseable {
  /** This JVM's worker id in the run. */
  String workerId();

  /** Keeps this worker's latest document of a kind, replacing the one kept before. */
  void keepDocument(String kind, String document);

  /** Keeps this worker's counters (on leaving). */
  void keepCounters(Map<String, ApiStats> counters);

  /** Every worker's kept counters, by worker id. */
  Map<String, Map<String, ApiStats>> keptCounters();

  /** Every worker's kept document of a kind, by worker id. */
  Map<String, String> keptDocuments(String kind);

  /**
   * True for the first caller of the run to claim {@code key}, false for every later one, whichever cluster
   * each was in.
   */
  boolean claim(String key);

  /** This JVM has left the run; bounded, idempotent. */
  @Override
  void close();
}
