package io.ratelimit.core.internal;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Limiter state kept in this JVM: a table of held permits per name guarded by one lock (a release wakes
 * the waiters at once), and an atomic next-slot counter per API to space request starts.
 *
 * <p>Why not resilience4j's Bulkhead: its cap is fixed per instance and lowering it blocks without
 * bound, while the sequential switch and the test gates need a cap given per acquisition, exactly as
 * the cluster state's entry processors do it.
 */
public final class LocalLimiterState implements LimiterState {
  private final String workerId;
  private final String coordination;
  private final StatsRecorder recorder;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition released = lock.newCondition();
  private final Map<String, Integer> held = new HashMap<>();
  private final Map<String, AtomicLong> nextFreeSlot = new ConcurrentHashMap<>();
  private final AtomicReference<RunMode> runMode = new AtomicReference<>(RunMode.PARALLEL);
  private final AttemptWindow recentAttempts = new RingAttemptWindow();
  private final Map<String, Map<String, String>> documents = new ConcurrentHashMap<>();
  private final java.util.Set<String> claims = ConcurrentHashMap.newKeySet();
  private final LeaseStore leases = new LocalLeaseStore();

  /**
   * @param workerId this JVM's worker id, for the statistics
   * @param coordination how limits are shared, for the statistics (e.g. {@code local})
   * @param recorder this JVM's counters
   */
  public LocalLimiterState(String workerId, String coordination, StatsRecorder recorder) {
    this.workerId = workerId;
    this.coordination = coordination;
    this.recorder = recorder;
  }

  @Override
  public Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    long deadline = System.nanoTime() + maxWait.toNanos();
    lock.lock();
    try {
      while (held.getOrDefault(name, 0) >= cap) {
        Waits.throwIfStopped(condition);
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Optional.empty();
        }
        try {
          released.awaitNanos(Math.min(left, Waits.SLICE_NANOS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for a permit");
        }
      }
      held.merge(name, 1, Integer::sum);
    } finally {
      lock.unlock();
    }
    AtomicBoolean done = new AtomicBoolean();
    return Optional.of(() -> done.compareAndSet(false, true) && release(name));
  }

  private boolean release(String name) {
    lock.lock();
    try {
      held.computeIfPresent(name, (n, count) -> count == 1 ? null : count - 1);
      released.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Duration reserveStartSlot(ApiLimits limits) {
    long spacing = limits.spacing().toNanos();
    if (spacing == 0) {
      return Duration.ZERO;
    }
    AtomicLong next = nextFreeSlot.computeIfAbsent(limits.api(), name -> new AtomicLong(System.nanoTime()));
    while (true) {
      long now = System.nanoTime();
      long nextFree = next.get();
      long slot = StartSlots.slot(nextFree, now);
      if (next.compareAndSet(nextFree, StartSlots.nextFree(slot, spacing))) {
        return Duration.ofNanos(slot - now);
      }
    }
  }

  @Override
  public AttemptWindow recentAttempts() {
    return recentAttempts;
  }

  @Override
  public RateLimitStats statistics() {
    return new RateLimitStats(coordination, Map.of(workerId, recorder.snapshot()));
  }

  @Override
  public RunMode runMode() {
    return runMode.get();
  }

  @Override
  public RunMode switchToSequential(RunMode sequential) {
    runMode.compareAndSet(RunMode.PARALLEL, sequential);
    return runMode.get();
  }

  @Override
  public LeaseStore leases() {
    return leases;
  }

  @Override
  public void close() {
    leases.close(); // nothing else is shared beyond this JVM
  }

  @Override
  public void publish(String kind, String document) {
    documents.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).put(workerId, document);
  }

  @Override
  public Map<String, String> published(String kind) {
    return Map.copyOf(documents.getOrDefault(kind, Map.of()));
  }

  @Override
  public boolean claim(String key) {
    return claims.add(key);
  }

  @Override
  public int permitsHeld(String name) {
    lock.lock();
    try {
      return held.getOrDefault(name, 0);
    } finally {
      lock.unlock();
    }
  }

}
