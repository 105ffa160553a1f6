package io.ratelimit.core.internal.state;

import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.PermitName;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;

/** The run's permits and start slots: what a request's admission and the run's gates take. */
public interface Permits {

  /**
   * Waits until fewer than {@code cap} permits named {@code name} are held (by anyone sharing this
   * state), then takes one. The cap is given per call, so the same name serves as a counting semaphore
   * (cap n), a mutex (cap 1) and, with caps that differ between callers, a readers-writer gate.
   *
   * @param cap how many may hold a permit of this name at once, this one included; at least 1
   * @param maxWait bound on the wait
   * @param condition checked between wait slices; cancellation ends the wait
   * @return the permit, or empty when {@code maxWait} passed without one
   * @throws InterruptedIOException when the thread is interrupted or the call cancelled while waiting
   */
  Optional<Permit> acquirePermit(PermitName name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException;

  /**
   * Waits (at most {@code maxWait}) for one of the API's {@code limits.maxInFlight()} permits and reserves
   * its next start slot with it. The cluster does both in one round trip; the default takes the permit,
   * then reserves the slot.
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

  /** How many permits named {@code name} are held now, by anyone sharing this state. */
  int permitsHeld(PermitName name);
}
