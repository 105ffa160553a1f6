package io.ratelimit.core.internal.jvm;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Lets attempts onto the wire only while the worker is open. A worker stopped with SIGTERM keeps running
 * its tests while its shutdown hook flushes the counters; an attempt counted after that last flush would
 * reach the server but not the report. So on close the gate shuts (later attempts fail without being
 * sent) and waits, bounded, for the attempts already on the wire to be answered and counted.
 */
public final class AttemptGate {
  private final AtomicInteger onTheWire = new AtomicInteger();
  private volatile boolean closed;

  /** True if an attempt may go; the caller must then call {@link #leave()} once it is answered or failed. */
  public boolean enter() {
    onTheWire.incrementAndGet();
    if (closed) {
      onTheWire.decrementAndGet();
      return false;
    }
    return true;
  }

  public void leave() {
    onTheWire.decrementAndGet();
  }

  /** Shuts the gate and waits at most {@code bound} for the attempts on the wire; returns how many are left. */
  public int closeAndDrain(Duration bound) {
    closed = true;
    long deadline = System.nanoTime() + bound.toNanos();
    while (onTheWire.get() > 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return onTheWire.get();
  }
}
