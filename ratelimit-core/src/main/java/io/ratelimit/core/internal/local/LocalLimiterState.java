package io.ratelimit.core.internal.local;

import io.ratelimit.core.internal.leases.LeaseStore;
import io.ratelimit.core.internal.leases.LocalLeaseStore;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.state.Admission;
import io.ratelimit.core.internal.state.AttemptWindow;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.internal.state.Permits;
import io.ratelimit.core.internal.state.RingAttemptWindow;
import io.ratelimit.core.internal.state.RunModes;
import io.ratelimit.core.internal.state.RunRecords;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.waits.Waits;
import io.ratelimit.core.PermitName;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Limiter state kept in this JVM: a table of held permits per name guarded by one lock (a release wakes
 * the waiters at once), and each API's {@link Pacing} to space request starts.
 *
 * <p>An API's in-flight cap is a resilience4j {@link Bulkhead} (its cap is fixed per API, which is what a
 * bulkhead is), waited for in 20 ms slices so that a cancelled call stops waiting at once. Other permits
 * (the sequential switch, the test gates, run-alone) keep the table: their cap is given per acquisition
 * (cap 1 to run alone, a huge cap to run beside others, on the same name), which a bulkhead, fixed per
 * instance and blocking without bound when its cap is lowered, cannot express. Spacing keeps the next-slot
 * counter: resilience4j's RateLimiter hands out permits per refresh cycle, so two starts on either side of
 * a cycle boundary can be almost simultaneous, while {@code PYTEST_RATE_LIMIT_DELAY} is a minimum gap.
 */
public final class LocalLimiterState implements LimiterState, Permits, RunModes, RunRecords {
  private final String workerId;
  private final String coordination;
  private final StatsRecorder recorder;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition released = lock.newCondition();
  private final Map<String, Integer> held = new HashMap<>();
  private final Map<String, Pacing> pacing = new ConcurrentHashMap<>();
  private final AtomicReference<RunMode> runMode = new AtomicReference<>(RunMode.PARALLEL);
  private final AttemptWindow recentAttempts = new RingAttemptWindow();
  private final Map<String, Map<String, String>> documents = new ConcurrentHashMap<>();
  private final java.util.Set<String> claims = ConcurrentHashMap.newKeySet();
  private final LeaseStore leases = new LocalLeaseStore();
  private final Map<String, Bulkhead> bulkheads = new ConcurrentHashMap<>();

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
  public Permits permits() {
    return this;
  }

  @Override
  public RunModes modes() {
    return this;
  }

  @Override
  public RunRecords records() {
    return this;
  }

  @Override
  public Optional<Permit> acquirePermit(PermitName permitName, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    String name = permitName.key();
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

  /** The API's in-flight cap as a bulkhead, waited for in slices; the start slot reserved once admitted. */
  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    Bulkhead bulkhead = bulkhead(limits);
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (!bulkhead.tryAcquirePermission()) { // waits up to one slice
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("interrupted while waiting for a permit");
      }
      Waits.throwIfStopped(condition);
      if (deadline - System.nanoTime() <= 0) {
        return Optional.empty();
      }
    }
    AtomicBoolean done = new AtomicBoolean();
    Permit permit = () -> {
      if (done.compareAndSet(false, true)) {
        bulkhead.onComplete();
        return true;
      }
      return false;
    };
    return Optional.of(new Admission(permit, reserveStartSlot(limits)));
  }

  /**
   * The API's bulkhead, made on first use. A new cap for the API (another configuration of the same name)
   * gets a new bulkhead: the latest cap holds for new requests, those in flight finish under the old one.
   */
  private Bulkhead bulkhead(ApiLimits limits) {
    Bulkhead current = bulkheads.get(limits.permitName().key());
    if (current != null && current.getBulkheadConfig().getMaxConcurrentCalls() == limits.maxInFlight()) {
      return current;
    }
    return bulkheads.compute(limits.permitName().key(), (name, old) -> old != null && old.getBulkheadConfig().getMaxConcurrentCalls() == limits.maxInFlight()
        ? old
        : Bulkhead.of(name, BulkheadConfig.custom().maxConcurrentCalls(limits.maxInFlight()).maxWaitDuration(Duration.ofNanos(Waits.SLICE_NANOS))
            .fairCallHandlingStrategyEnabled(true).build()));
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    if (!limits.pacing().paces()) {
      return Pacing.Slot.NOW;
    }
    Pacing p = pacing.computeIfAbsent(limits.api(), name -> new Pacing());
    synchronized (p) {
      return p.reserve(limits.pacing(), StartSlots.epochNanosNow());
    }
  }

  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    Pacing p = pacing.computeIfAbsent(limits.api(), name -> new Pacing());
    synchronized (p) {
      p.feedback(limits.pacing(), feedback, StartSlots.epochNanosNow());
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
  public int permitsHeld(PermitName permitName) {
    String name = permitName.key();
    Bulkhead bulkhead = bulkheads.get(name);
    int inBulkhead = bulkhead == null ? 0
        : bulkhead.getBulkheadConfig().getMaxConcurrentCalls() - bulkhead.getMetrics().getAvailableConcurrentCalls();
    lock.lock();
    try {
      return inBulkhead + held.getOrDefault(name, 0);
    } finally {
      lock.unlock();
    }
  }

}
