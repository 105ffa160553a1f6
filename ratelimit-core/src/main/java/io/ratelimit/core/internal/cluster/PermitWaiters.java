package io.ratelimit.core.internal.cluster;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Local waiters for one permit name: only the head of the queue asks the cluster, the rest wait here.
 * Changes to the name's entry are counted, so a change that arrives between the head's ask and its wait
 * is not lost: the head asks again at once instead of sleeping to the recheck.
 */
final class PermitWaiters {
  final ReentrantLock turn = new ReentrantLock(true);
  final ReentrantLock signalLock = new ReentrantLock();
  final Condition changed = signalLock.newCondition();
  private long changes; // guarded by signalLock
  private long seenByHead; // written by the head only, which holds turn

  void signal() {
    signalLock.lock();
    try {
      changes++;
      changed.signalAll();
    } finally {
      signalLock.unlock();
    }
  }

  /** The head is about to ask the cluster: changes from now on wake it. */
  void asking() {
    signalLock.lock();
    try {
      seenByHead = changes;
    } finally {
      signalLock.unlock();
    }
  }

  /** Waits at most {@code nanos} for a change since the head last asked. */
  void awaitChange(long nanos) throws InterruptedException {
    signalLock.lock();
    try {
      while (changes == seenByHead && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
    } finally {
      signalLock.unlock();
    }
  }
}
