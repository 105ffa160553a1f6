package io.ratelimit.core.internal.waits;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes the threads waiting for a change. A waiter can miss a signal that comes between its check and
 * its wait, so every wait is short and the waiter checks again: a signal only makes it sooner.
 */
public final class ChangeSignal {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Wakes every waiter. */
  public void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code nanos} for the next {@link #signal()}. */
  public void await(long nanos) throws InterruptedException {
    lock.lock();
    try {
      changed.awaitNanos(nanos);
    } finally {
      lock.unlock();
    }
  }
}
