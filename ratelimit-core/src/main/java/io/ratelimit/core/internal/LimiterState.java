package io.ratelimit.core.internal;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The state the interceptors consult: in-flight permits, request spacing, merged statistics and the
 * run mode. One implementation keeps it in this JVM; another shares it across JVMs through Hazelcast.
 * The interceptors talk only to this interface.
 */
public interface LimiterState extends AutoCloseable {

  /**
   * Waits until fewer than {@code cap} permits named {@code name} are held (by anyone sharing this
   * state), then takes one. The cap is given per call, so the same name serves as a counting semaphore
   * (cap n), a mutex (cap 1) and, with caps that differ between callers, a readers-writer gate.
   *
   * @param name what is limited, e.g. {@code api:default}
   * @param cap how many may hold a permit of this name at once, this one included; at least 1
   * @param maxWait bound on the wait
   * @param condition checked between wait slices; cancellation ends the wait
   * @return the permit, or empty when {@code maxWait} passed without one
   * @throws InterruptedIOException when the thread is interrupted or the call cancelled while waiting
   */
  Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException;

  /**
   * A request's admission: an in-flight permit of the API and, with it, a start slot. The cluster state
   * does both in one round trip; the default takes the permit, then reserves the slot.
   *
   * @param permit the permit, to release when the response is done
   * @param slot when to start, and what the pacing knew then
   */
  record Admission(Permit permit, Pacing.Slot slot) {
    /** How long to wait from now before starting. */
    public Duration startIn() {
      return slot.startIn();
    }
  }

  /**
   * Waits (at most {@code maxWait}) for one of the API's {@code limits.maxInFlight()} permits and reserves
   * its next start slot with it.
   *
   * @return the admission; empty when {@code maxWait} passed without a permit
   * @throws InterruptedIOException when the thread is interrupted or the call cancelled while waiting
   */
  default Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    Optional<Permit> permit = acquirePermit(limits.permitName(), limits.maxInFlight(), maxWait, condition);
    return permit.map(p -> new Admission(p, reserveStartSlot(limits)));
  }

  /**
   * Atomically reserves the next start slot of the API, at least the API's effective spacing after the one
   * before it, and not during a pause (see {@link Pacing}).
   *
   * @return the slot ({@link Pacing.Slot#NOW} when the API is not paced)
   */
  Pacing.Slot reserveStartSlot(ApiLimits limits);

  /**
   * Tells the API's pacing what an attempt's response said (a refusal, a {@code Retry-After}, a quota).
   * Never waits on the shared state: the request path does not pay for it.
   */
  void feedback(ApiLimits limits, Pacing.Feedback feedback);

  /** The outcomes of the most recent attempts of every worker sharing this state. */
  AttemptWindow recentAttempts();

  /** The statistics of every worker sharing this state, merged. */
  RateLimitStats statistics();

  /** The current run mode: parallel, or sequential since when and why. */
  RunMode runMode();

  /**
   * Switches the whole run to {@code sequential}; the first switch wins and later calls change nothing.
   *
   * @param sequential the mode to switch to, with its time and reason
   * @return the run mode after the call: equal to {@code sequential} only for the call that switched
   */
  RunMode switchToSequential(RunMode sequential);

  /** How many permits named {@code name} are held now, by anyone sharing this state. */
  int permitsHeld(String name);

  /** Shares this worker's latest document of a kind (e.g. its suite timing), replacing the previous one. */
  void publish(String kind, String document);

  /** Every worker's latest document of a kind, by worker id. */
  Map<String, String> published(String kind);

  /** The lease tables of shared resources, kept where this state keeps everything else. */
  LeaseStore leases();

  /** True for the first caller of the run to claim {@code key}, false for every later one. */
  boolean claim(String key);

  /**
   * Why this state sends nothing (no cluster could be had), checked before a request opens a connection;
   * empty while requests may go out.
   */
  default java.util.Optional<String> refusal() {
    return java.util.Optional.empty();
  }

  /** Releases what this JVM holds and leaves any cluster; bounded, idempotent. */
  @Override
  void close();
}
