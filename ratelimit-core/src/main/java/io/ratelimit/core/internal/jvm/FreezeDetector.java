package io.ratelimit.core.internal.jvm;

import io.ratelimit.hazelcast.ClusterSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Notices that this JVM was frozen (a long GC pause, a stopped process, a suspended machine) for long
 * enough that the run's cluster may have dropped its member or client and freed its permits and leases.
 * A daemon thread ticks every 100 ms on {@link System#nanoTime()}; a gap between two ticks longer than the
 * threshold is a freeze. Any thread can notice one too, before the ticking thread has run again: whoever
 * calls {@link #freezes()} first after a freeze counts it, so a request thread that wakes from the same
 * freeze never acts on what it knew before. One per JVM ({@link #jvm()}).
 */
public final class FreezeDetector {
  /** How often the daemon thread ticks. */
  static final Duration TICK = Duration.ofMillis(100);
  /**
   * A freeze is a gap of more than 60% of the heartbeat timeout: the others drop a member after about 4 s
   * of silence at the earliest (its last heartbeat may have gone out up to 1 s before it froze), so this
   * leaves a margin, and a busy machine's scheduling hiccups (tens of milliseconds) stay far below it.
   */
  public static final Duration THRESHOLD = ClusterSettings.HEARTBEAT_TIMEOUT.multipliedBy(6).dividedBy(10);


  private final long thresholdNanos;
  private final LongSupplier clock;
  private final List<Consumer<Duration>> listeners = new CopyOnWriteArrayList<>();
  // written in this order under the monitor: a thread that sees the new lastTick sees the new count
  private volatile long freezes;
  private volatile long lastTick;
  private volatile Duration lastFreeze = Duration.ZERO;

  FreezeDetector(long thresholdNanos, LongSupplier clock) {
    this.thresholdNanos = thresholdNanos;
    this.clock = clock;
    this.lastTick = clock.getAsLong();
  }

  /** A detector that never sees a freeze: for a coordinator whose state lives in this JVM only. */
  public static FreezeDetector never() {
    return new FreezeDetector(Long.MAX_VALUE, () -> 0L);
  }

  /** This JVM's detector ({@link Jvm}: one ticking thread a JVM), ticking from its first use on. */
  public static FreezeDetector jvm() {
    return Jvm.one(FreezeDetector.class, () -> {
      FreezeDetector detector = new FreezeDetector(THRESHOLD.toNanos(), System::nanoTime);
      Thread ticker = new Thread(() -> {
        while (true) {
          LockSupport.parkNanos(TICK.toNanos());
          detector.tick();
        }
      }, "ratelimit-freeze-detector");
      ticker.setDaemon(true);
      ticker.start();
      return detector;
    });
  }

  /**
   * How many freezes this JVM has been through so far, counting one that has just ended and that no thread
   * has noticed yet. Cheap (a clock read and two volatile reads) unless a freeze has just ended.
   */
  public long freezes() {
    long now = clock.getAsLong();
    if (now - lastTick > thresholdNanos) {
      tick();
    }
    return freezes;
  }

  /** How long the latest freeze lasted (zero before the first). */
  public Duration lastFreeze() {
    return lastFreeze;
  }

  /** The longest gap that does not count as a freeze. */
  public Duration threshold() {
    return Duration.ofNanos(thresholdNanos);
  }

  /**
   * Calls {@code listener} with the freeze's length after each freeze, on a thread of its own (it may
   * wait: the ticking goes on).
   *
   * @return undoes the subscription
   */
  public Runnable onFreeze(Consumer<Duration> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Counts a freeze if the last tick is too long ago, and ticks. */
  synchronized void tick() {
    long now = clock.getAsLong();
    long gap = now - lastTick;
    if (gap > thresholdNanos) {
      Duration frozen = Duration.ofNanos(gap);
      lastFreeze = frozen;
      freezes++;
      lastTick = now;
      for (Consumer<Duration> listener : listeners) {
        Thread told = new Thread(() -> listener.accept(frozen), "ratelimit-after-freeze");
        told.setDaemon(true);
        told.start();
      }
    } else if (gap > 0) {
      lastTick = now;
    }
  }

  /** A freeze's length for messages, e.g. {@code 6.2 s}. */
  public static String seconds(Duration frozen) {
    return frozen.toMillis() / 100 / 10.0 + " s";
  }
}
