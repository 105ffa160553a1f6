package io.ratelimit.benchmarks.quota;

import java.util.List;

/**
 * A loopback API under a quota, as the quota benchmark sees it: where to send, and what the API itself
 * counted since {@link #reset()}. Implemented by {@link QuotaServer} (in this JVM) and {@link RefereeProxy}
 * (nginx or haproxy in front of a {@link QuotaServer} backend).
 */
interface QuotaApi extends AutoCloseable {
  /** Where the workers send. */
  String url();

  /** Forgets the counts and the limiter's state: the measured time starts here. */
  void reset();

  /** Requests that reached the API's limiter since {@link #reset()}. */
  long attempts();

  /** Of those, how many were refused. */
  long refused();

  /** Requests answered 200 since {@link #reset()}. */
  long ok();

  /**
   * For a fixed window: {admitted, refused} per window since {@link #reset()}, in order; empty for other
   * policies.
   */
  default List<long[]> windows() {
    return List.of();
  }

  /**
   * One request as the API's limiter saw it: when it arrived (epoch microseconds), which worker JVM sent
   * it (its {@code X-Worker} header, 0 when absent), whether it was admitted or refused, and when it was
   * answered (epoch microseconds; -1 when the API does not know: only an nginx referee logs it).
   */
  record Arrival(long epochMicros, int worker, boolean admitted, boolean refused, long answerMicros) {
    Arrival(long epochMicros, int worker, boolean admitted, boolean refused) {
      this(epochMicros, worker, admitted, refused, -1);
    }
  }

  /** Every request that arrived since {@link #reset()}, in order of arrival. */
  List<Arrival> arrivals();

  /** When {@link #reset()} last ran, epoch microseconds: second 0 of the run, and a fixed window's origin. */
  long resetEpochMicros();

  @Override
  void close();
}
