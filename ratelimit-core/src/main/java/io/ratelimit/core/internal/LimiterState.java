package io.ratelimit.core.internal;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The state the interceptors consult: in-flight permits, request spacing, merged statistics and the
 * run mode. One implementation keeps it in this JVM; another shares it across JVMs through Hazelcast.
 * The interceptors talk only to this interface.
 */
public interface LimiterState extends AutoCloseable {

  /**
   * Waits until fewer than {@code limits.maxInFlight()} requests of the API are in flight (fewer than one,
   * run-wide, when the run is sequential), then takes a permit.
   *
   * @param maxWait bound on the wait
   * @param condition checked between wait slices; cancellation ends the wait
   * @return the permit, or empty when {@code maxWait} passed without one
   * @throws InterruptedIOException when the thread is interrupted or the call cancelled while waiting
   */
  Optional<Permit> acquirePermit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException;

  /**
   * Atomically reserves the next start slot of the API, at least {@code limits.spacing()} after the one
   * before it.
   *
   * @return how long the caller must wait from now before starting its request (zero or more)
   */
  Duration reserveStartSlot(ApiLimits limits);

  /** The statistics of every worker sharing this state, merged. */
  RateLimitStats statistics();

  /** The current run mode: parallel, or sequential since when and why. */
  RunMode runMode();

  /**
   * Switches the whole run to sequential; the first switch wins and later calls change nothing.
   *
   * @return the run mode after the call
   */
  RunMode switchToSequential(String reason);

  /** Releases what this JVM holds and leaves any cluster; bounded, idempotent. */
  @Override
  void close();
}
