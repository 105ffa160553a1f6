package io.ratelimit.core.internal;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The cluster state, guarded against the cluster's loss (a client whose members stopped, a member whose
 * instance stopped or whose calls keep failing). With one warning, the call that met the loss and every
 * call after it wait, sending nothing, while {@code reconnect} makes the state that takes over: a new
 * cluster state, guarded the same way from then on, or a {@link RefusingLimiterState} that fails every
 * request and lease with the reason. Never a state of this JVM's own: the other JVMs of the run go on in
 * the cluster with the whole limits, so any share this JVM took alone would be a guess. A passing failure
 * (a member leaving mid-call) is tried again for about 2 s before the cluster counts as lost. Counters
 * stay in the same recorder, and reach the new cluster with its first flush.
 */
public final class FailoverLimiterState implements LimiterState {
  private static final Logger LOG = Logs.get(FailoverLimiterState.class);

  /** A passing failure is tried again for up to about 2 s before the cluster counts as lost. */
  private static final int PASSING_RETRIES = 10;
  private static final Duration PASSING_PAUSE = Duration.ofMillis(200);
  /** A call that meets a new cluster state failing at once as well gives up after this many replacements. */
  private static final int MAX_REPLACEMENTS_PER_CALL = 2;

  private final Function<String, LimiterState> reconnect;
  private final String whatNext;
  private volatile LimiterState current;
  private volatile boolean closed;

  /**
   * @param cluster the cluster state, used until it fails
   * @param reconnect makes the state that takes over, given what failed; bounded: every caller waits for it
   * @param whatNext what the JVM does then, for the warning
   */
  public FailoverLimiterState(LimiterState cluster, Function<String, LimiterState> reconnect, String whatNext) {
    this.current = cluster;
    this.reconnect = reconnect;
    this.whatNext = whatNext;
  }

  /** Hazelcast's exceptions (the instance stopped, the client is offline, an operation timed out). */
  static boolean isClusterFailure(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().startsWith("com.hazelcast.")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Hazelcast's word for a moment that passes (a member just left, an operation went to it): the cluster
   * is still there, so the call is tried again rather than failed over.
   */
  static boolean isPassing(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.hazelcast.spi.exception.RetryableException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Optional<String> refusal() {
    return current.refusal(); // once the cluster was lost and could not be had again
  }

  /**
   * Replaces {@code failed} once, however many callers met its failure: the others wait on this monitor
   * (bounded by {@code reconnect}'s own bound) and go on with what it made.
   */
  private synchronized LimiterState replace(LimiterState failed, RuntimeException cause) {
    if (current != failed) {
      return current;
    }
    LOG.warn("ratelimit-testkit: lost the run's cluster ({}); this JVM {}", cause, whatNext);
    LimiterState next = reconnect.apply(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    current = next;
    if (closed) {
      next.close(); // the worker stopped while it connected again
    }
    // what the lost state holds dies with its member or expires; closing it may wait on the dead cluster
    Thread closing = new Thread(() -> {
      try {
        failed.close();
      } catch (RuntimeException ignored) {
        // already gone
      }
    }, "ratelimit-close-lost-cluster");
    closing.setDaemon(true);
    closing.start();
    return next;
  }

  private interface Call<T> {
    T on(LimiterState state) throws InterruptedIOException;
  }

  private <T> T call(Call<T> call) throws InterruptedIOException {
    int replacements = 0;
    for (int attempt = 1; ; attempt++) {
      LimiterState state = current;
      try {
        return call.on(state);
      } catch (RuntimeException e) {
        if (!isClusterFailure(e)) {
          throw e; // a refusal, or a bug: never a reason to connect again
        }
        if (isPassing(e) && attempt < PASSING_RETRIES) {
          Waits.sleep(PASSING_PAUSE, WaitCondition.NEVER); // a member leaving: the next try finds the new owner
          continue;
        }
        if (++replacements > MAX_REPLACEMENTS_PER_CALL) {
          throw e;
        }
        replace(state, e);
        attempt = 0;
      }
    }
  }

  private <T> T quietly(Function<LimiterState, T> call) {
    try {
      return call(call::apply);
    } catch (InterruptedIOException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  private void quietlyRun(java.util.function.Consumer<LimiterState> call) {
    quietly(state -> {
      call.accept(state);
      return null;
    });
  }

  @Override
  public Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return call(s -> s.acquirePermit(name, cap, maxWait, condition));
  }

  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return call(s -> s.admit(limits, maxWait, condition));
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    return quietly(s -> s.reserveStartSlot(limits));
  }

  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    quietlyRun(s -> s.feedback(limits, feedback));
  }

  @Override
  public AttemptWindow recentAttempts() {
    return current.recentAttempts(); // the window records asynchronously and never throws
  }

  @Override
  public RateLimitStats statistics() {
    return quietly(LimiterState::statistics);
  }

  @Override
  public RunMode runMode() {
    return current.runMode();
  }

  @Override
  public RunMode switchToSequential(RunMode sequential) {
    return quietly(s -> s.switchToSequential(sequential));
  }

  @Override
  public int permitsHeld(String name) {
    return quietly(s -> s.permitsHeld(name));
  }

  @Override
  public void publish(String kind, String document) {
    quietlyRun(s -> s.publish(kind, document));
  }

  @Override
  public Map<String, String> published(String kind) {
    return quietly(s -> s.published(kind));
  }

  @Override
  public LeaseStore leases() {
    return new FailoverLeaseStore();
  }

  @Override
  public boolean claim(String key) {
    return quietly(s -> s.claim(key));
  }

  @Override
  public void close() {
    closed = true;
    current.close();
  }

  /** The lease tables, failing over with the rest. */
  private final class FailoverLeaseStore implements LeaseStore {
    @Override
    public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
      return quietly(s -> s.leases().take(key, items, count, leaseId, owner, maxHold));
    }

    @Override
    public List<String> release(String key, String leaseId) {
      return quietly(s -> s.leases().release(key, leaseId));
    }

    @Override
    public Map<String, Map<String, LeaseTable.Lease>> tables() {
      return quietly(s -> s.leases().tables());
    }

    @Override
    public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
      return quietly(s -> s.leases().free(item));
    }

    @Override
    public void awaitChange(String key, long nanos) throws InterruptedException {
      current.leases().awaitChange(key, nanos);
    }

    @Override
    public int clearExpired() {
      return quietly(s -> s.leases().clearExpired());
    }

    @Override
    public void close() {
      current.leases().close();
    }
  }
}
