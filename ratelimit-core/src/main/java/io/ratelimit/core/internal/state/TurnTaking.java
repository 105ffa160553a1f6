package io.ratelimit.core.internal.state;

import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.waits.Waits;
import java.io.InterruptedIOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How a JVM's threads wait for a shared permit, whatever keeps it (the cluster, the run directory): one
 * opportunistic try when no thread of this JVM waits for the name; otherwise in line behind them, and only
 * the head of the line asks the shared state again (holding a ticket in the run-wide queue, so permits go
 * to workers in the order they asked), between pauses, until the deadline. A waiter that gives up
 * withdraws its ticket at once.
 */
public final class TurnTaking {
  private TurnTaking() {}

  /** One request to the shared state. */
  @FunctionalInterface
  public interface Attempt {
    /** @param ticketMillis how long a refused caller keeps its place in the queue; 0: it takes none */
    Optional<Admission> tryOnce(long ticketMillis);
  }

  /** The wait between two attempts of the head of the line. */
  @FunctionalInterface
  public interface Pause {
    /** Waits at most {@code nanos}, less when the permit may have come free. */
    void await(long nanos) throws InterruptedIOException;
  }

  /**
   * Takes the permit, or gives up at {@code deadline} ({@link System#nanoTime()}).
   *
   * @param turn this JVM's line for the permit's name (a fair lock)
   * @param ticketMillis how long the head's ticket lasts between its attempts
   * @param withdraw gives a ticket up (called when no permit was taken after queueing)
   * @throws InterruptedIOException when interrupted or cancelled
   */
  public static Optional<Admission> acquire(ReentrantLock turn, long deadline, WaitCondition condition, long ticketMillis,
      Attempt attempt, Pause pause, Runnable withdraw) throws InterruptedIOException {
    Waits.throwIfStopped(condition);
    if (!turn.isLocked() && !turn.hasQueuedThreads()) {
      Optional<Admission> admitted = attempt.tryOnce(0); // never queues, never overtakes a queued waiter
      if (admitted.isPresent()) {
        return admitted;
      }
    }
    try {
      if (!turn.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return Optional.empty();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a permit");
    }
    boolean granted = false;
    try {
      while (true) {
        Waits.throwIfStopped(condition);
        Optional<Admission> admitted = attempt.tryOnce(ticketMillis);
        if (admitted.isPresent()) {
          granted = true;
          return admitted;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Optional.empty();
        }
        pause.await(left);
        Waits.throwIfStopped(condition);
      }
    } finally {
      turn.unlock();
      if (!granted) {
        withdraw.run();
      }
    }
  }
}
