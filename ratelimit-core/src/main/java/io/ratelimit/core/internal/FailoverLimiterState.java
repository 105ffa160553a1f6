package io.ratelimit.core.internal;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The cluster state, until the cluster is lost (a client whose members stopped, a member cut off): then,
 * with one warning, this JVM's own state for the rest of the run, with each API's limits divided by
 * {@code PYTEST_WORKERS} as in the start-up fallback. A request caught in the failure is retried on the
 * local state, so no test fails because the cluster went away. Counters stay in the same recorder.
 */
public final class FailoverLimiterState implements LimiterState {
  private static final Logger LOG = Logs.get(FailoverLimiterState.class);

  /** A passing failure is tried again for up to about 2 s before the cluster counts as lost. */
  private static final int PASSING_RETRIES = 10;
  private static final Duration PASSING_PAUSE = Duration.ofMillis(200);

  private final LimiterState cluster;
  private final Function<String, LimiterState> localFactory;
  private final int divisor;
  private final String whatNext;
  private final AtomicBoolean failedOver = new AtomicBoolean();
  private volatile LimiterState local;

  /**
   * @param cluster the cluster state, used until it fails
   * @param localFactory makes the local state, given a description of why (for the statistics)
   * @param divisor how many workers share the limits: the local state keeps this JVM's share
   */
  public FailoverLimiterState(LimiterState cluster, Function<String, LimiterState> localFactory, int divisor) {
    this(cluster, localFactory, divisor, "goes on in local mode: its limits hold only within this JVM and are divided by "
        + "PYTEST_WORKERS (" + Math.max(1, divisor) + ") to stay on the safe side");
  }

  /**
   * @param cluster the cluster state, used until it fails
   * @param replacement makes the state that takes over, given a description of why
   * @param divisor how many workers share the limits: the replacement keeps this JVM's share (1: all of them)
   * @param whatNext what the JVM does then, for the warning
   */
  public FailoverLimiterState(LimiterState cluster, Function<String, LimiterState> replacement, int divisor, String whatNext) {
    this.cluster = cluster;
    this.localFactory = replacement;
    this.divisor = Math.max(1, divisor);
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

  private synchronized LimiterState failOver(RuntimeException cause) {
    if (local == null) {
      LOG.warn("ratelimit-testkit: lost the run's cluster ({}); this JVM {}", cause, whatNext);
      local = localFactory.apply("local (fallback: cluster lost: " + cause.getClass().getSimpleName() + ")");
      failedOver.set(true);
      try {
        cluster.close();
      } catch (RuntimeException ignored) {
        // already gone
      }
    }
    return local;
  }

  private interface Call<T> {
    T on(LimiterState state) throws InterruptedIOException;
  }

  private <T> T call(Call<T> onCluster, Call<T> onLocal) throws InterruptedIOException {
    for (int attempt = 1; !failedOver.get(); attempt++) {
      try {
        return onCluster.on(cluster);
      } catch (RuntimeException e) {
        if (!isClusterFailure(e)) {
          throw e;
        }
        if (!isPassing(e) || attempt == PASSING_RETRIES) {
          return onLocal.on(failOver(e));
        }
        Waits.sleep(PASSING_PAUSE, WaitCondition.NEVER); // a member leaving: the next try finds the new owner
      }
    }
    return onLocal.on(local);
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

  private <T> T quietly(Supplier<T> onCluster, Function<LimiterState, T> onLocal) {
    try {
      return call(state -> onCluster.get(), onLocal::apply);
    } catch (InterruptedIOException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  private ApiLimits share(ApiLimits limits) {
    return new ApiLimits(limits.api(), Math.max(1, limits.maxInFlight() / divisor), limits.spacing().multipliedBy(divisor), limits.adaptive(),
        limits.maxSpacing().multipliedBy(divisor));
  }

  private int share(int cap) {
    return cap >= Integer.MAX_VALUE / 4 ? cap : Math.max(1, cap / divisor);
  }

  @Override
  public Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return call(s -> s.acquirePermit(name, cap, maxWait, condition), s -> s.acquirePermit(name, share(cap), maxWait, condition));
  }

  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return call(s -> s.admit(limits, maxWait, condition), s -> s.admit(share(limits), maxWait, condition));
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    return quietly(() -> cluster.reserveStartSlot(limits), s -> s.reserveStartSlot(share(limits)));
  }

  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    quietly(() -> {
      cluster.feedback(limits, feedback);
      return null;
    }, s -> {
      s.feedback(share(limits), feedback);
      return null;
    });
  }

  @Override
  public AttemptWindow recentAttempts() {
    // the window records asynchronously and never throws; after a fail-over the local one takes over
    return failedOver.get() ? local.recentAttempts() : cluster.recentAttempts();
  }

  @Override
  public RateLimitStats statistics() {
    return quietly(cluster::statistics, LimiterState::statistics);
  }

  @Override
  public RunMode runMode() {
    return failedOver.get() ? local.runMode() : cluster.runMode();
  }

  @Override
  public RunMode switchToSequential(RunMode sequential) {
    return quietly(() -> cluster.switchToSequential(sequential), s -> s.switchToSequential(sequential));
  }

  @Override
  public int permitsHeld(String name) {
    return quietly(() -> cluster.permitsHeld(name), s -> s.permitsHeld(name));
  }

  @Override
  public void publish(String kind, String document) {
    quietly(() -> {
      cluster.publish(kind, document);
      return null;
    }, s -> {
      s.publish(kind, document);
      return null;
    });
  }

  @Override
  public Map<String, String> published(String kind) {
    return quietly(() -> cluster.published(kind), s -> s.published(kind));
  }

  @Override
  public LeaseStore leases() {
    return new FailoverLeaseStore();
  }

  @Override
  public boolean claim(String key) {
    return quietly(() -> cluster.claim(key), s -> s.claim(key));
  }

  @Override
  public void close() {
    if (failedOver.get()) {
      local.close();
    } else {
      cluster.close();
    }
  }

  /** The lease tables, failing over with the rest. */
  private final class FailoverLeaseStore implements LeaseStore {
    @Override
    public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
      return quietly(() -> cluster.leases().take(key, items, count, leaseId, owner, maxHold),
          s -> s.leases().take(key, items, count, leaseId, owner, maxHold));
    }

    @Override
    public List<String> release(String key, String leaseId) {
      return quietly(() -> cluster.leases().release(key, leaseId), s -> s.leases().release(key, leaseId));
    }

    @Override
    public Map<String, Map<String, LeaseTable.Lease>> tables() {
      return quietly(() -> cluster.leases().tables(), s -> s.leases().tables());
    }

    @Override
    public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
      return quietly(() -> cluster.leases().free(item), s -> s.leases().free(item));
    }

    @Override
    public void awaitChange(String key, long nanos) throws InterruptedException {
      (failedOver.get() ? local : cluster).leases().awaitChange(key, nanos);
    }

    @Override
    public int clearExpired() {
      return quietly(() -> cluster.leases().clearExpired(), s -> s.leases().clearExpired());
    }

    @Override
    public void close() {
      (failedOver.get() ? local : cluster).leases().close();
    }
  }
}
