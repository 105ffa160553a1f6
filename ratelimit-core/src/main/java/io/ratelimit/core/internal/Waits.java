package io.ratelimit.core.internal;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Bounded sleeps that end promptly when the call is cancelled or the thread interrupted. */
public final class Waits {
  /** How often a sleeping request checks whether its call was cancelled. */
  static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

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
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(remaining, SLICE_NANOS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting to send the request");
      }
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
