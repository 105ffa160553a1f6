package io.ratelimit.core.internal;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Limiter state kept in this JVM: a resilience4j {@link Bulkhead} per API caps requests in flight, a
 * run-wide bulkhead of one serialises requests once the run is sequential, and an atomic next-slot
 * counter per API spaces request starts.
 */
public final class LocalLimiterState implements LimiterState {
  /** Bulkhead waits are sliced so a cancelled call stops waiting within a slice. */
  private static final Duration SLICE = Duration.ofNanos(Waits.SLICE_NANOS);

  private final String workerId;
  private final String coordination;
  private final StatsRecorder recorder;
  private final Map<String, Bulkhead> bulkheads = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> nextFreeSlot = new ConcurrentHashMap<>();
  private final Bulkhead sequentialGate = bulkhead("sequential", 1);
  private final AtomicReference<RunMode> runMode = new AtomicReference<>(RunMode.PARALLEL);

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
  public Optional<Permit> acquirePermit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    long deadline = System.nanoTime() + maxWait.toNanos();
    Bulkhead api = bulkheads.computeIfAbsent(limits.api(), name -> bulkhead(name, limits.maxInFlight()));
    if (!enter(api, deadline, condition)) {
      return Optional.empty();
    }
    if (!runMode.get().sequential()) {
      return Optional.of(release(api, null));
    }
    try {
      if (!enter(sequentialGate, deadline, condition)) {
        api.onComplete();
        return Optional.empty();
      }
    } catch (InterruptedIOException e) {
      api.onComplete();
      throw e;
    }
    return Optional.of(release(api, sequentialGate));
  }

  private static boolean enter(Bulkhead bulkhead, long deadline, WaitCondition condition) throws InterruptedIOException {
    while (true) {
      Waits.throwIfStopped(condition);
      if (bulkhead.tryAcquirePermission()) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
    }
  }

  private static Permit release(Bulkhead api, Bulkhead gate) {
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (!released.compareAndSet(false, true)) {
        return false;
      }
      if (gate != null) {
        gate.onComplete();
      }
      api.onComplete();
      return true;
    };
  }

  @Override
  public Duration reserveStartSlot(ApiLimits limits) {
    long spacing = limits.spacing().toNanos();
    if (spacing == 0) {
      return Duration.ZERO;
    }
    AtomicLong next = nextFreeSlot.computeIfAbsent(limits.api(), name -> new AtomicLong(Long.MIN_VALUE));
    while (true) {
      long now = System.nanoTime();
      long nextFree = next.get();
      long slot = nextFree == Long.MIN_VALUE ? now : StartSlots.slot(nextFree, now);
      if (next.compareAndSet(nextFree, StartSlots.nextFree(slot, spacing))) {
        return Duration.ofNanos(slot - now);
      }
    }
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
  public RunMode switchToSequential(String reason) {
    runMode.compareAndSet(RunMode.PARALLEL, RunMode.sequentialSince(Clock.systemUTC().instant(), reason));
    return runMode.get();
  }

  @Override
  public void close() {
    // nothing is shared beyond this JVM
  }

  private static Bulkhead bulkhead(String name, int maxConcurrent) {
    return Bulkhead.of(name, BulkheadConfig.custom()
        .maxConcurrentCalls(maxConcurrent)
        .maxWaitDuration(SLICE)
        .fairCallHandlingStrategyEnabled(true)
        .build());
  }
}
