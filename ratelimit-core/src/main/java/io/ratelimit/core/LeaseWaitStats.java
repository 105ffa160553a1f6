package io.ratelimit.core;

import java.time.Duration;

/**
 * How long tests waited for leases on one resource or pool.
 *
 * @param acquisitions leases asked for
 * @param unavailable of them, how many did not come free within their bound
 * @param totalWait time spent waiting, summed
 * @param maxWait the longest single wait
 */
public record LeaseWaitStats(long acquisitions, long unavailable, Duration totalWait, Duration maxWait) {

  /** No waits. */
  public static final LeaseWaitStats EMPTY = new LeaseWaitStats(0, 0, Duration.ZERO, Duration.ZERO);

  /** The two sets of waits together. */
  public LeaseWaitStats plus(LeaseWaitStats other) {
    return new LeaseWaitStats(acquisitions + other.acquisitions, unavailable + other.unavailable, totalWait.plus(other.totalWait),
        maxWait.compareTo(other.maxWait) >= 0 ? maxWait : other.maxWait);
  }
}
