package io.ratelimit.core.internal.waits;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Bounded sleeps that end promptly when the call is cancelled or the thread interrupted. */
public final class Waits {
  /** How often a sleeping request checks whether its call was cancelled. */
  public static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  /** The last stretch before a start slot, spun rather than parked. */
  static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(700);

  private Waits() {}

  /**
   * Sleeps for {@code duration}, or less if the call is cancelled or the thread interrupted.
   *
   * @throws InterruptedIOException when cancelled or interrupted (the interrupt flag stays set)
   */
  public static void sleep(Duration duration, WaitCondition condition) throws InterruptedIOException {
    long deadline = System.nanoTime() + duration.toNanos();
    for (long remaining = duration.toNanos(); remaining > 0; remaining = deadline - System.nanoTime()) {
      throwIfStopped(condition);
      // parkNanos, not Thread.sleep: on JDK 17 sleep rounds every wait up to a whole millisecond, which
      // makes starts jitter by up to 1 ms, and a strict limiter refuses a request 1 ms early
      LockSupport.parkNanos(Math.min(remaining, SLICE_NANOS));
    }
    throwIfStopped(condition);
  }

  /**
   * Sleeps {@code duration} to a request's start slot: parks until {@link #SPIN_NANOS} before it, then spins
   * to it. A thread woken from a park on a busy machine often runs a millisecond late, and a late start is
   * a slot lost (it is given up, so as not to crowd the next one); the spin costs at most that much CPU per
   * request.
   */
  public static void sleepToSlot(Duration duration, WaitCondition condition) throws InterruptedIOException {
    long deadline = System.nanoTime() + duration.toNanos();
    long parkUntil = deadline - SPIN_NANOS;
    for (long remaining = parkUntil - System.nanoTime(); remaining > 0; remaining = parkUntil - System.nanoTime()) {
      throwIfStopped(condition);
      LockSupport.parkNanos(Math.min(remaining, SLICE_NANOS));
    }
    while (System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    throwIfStopped(condition);
  }

  /** Throws when the call was cancelled or the thread interrupted. */
  public static void throwIfStopped(WaitCondition condition) throws InterruptedIOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while waiting to send the request");
    }
    if (condition.cancelled()) {
      throw new InterruptedIOException("Canceled");
    }
  }
}
