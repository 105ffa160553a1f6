package io.ratelimit.core.internal;

import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import io.ratelimit.core.internal.cluster.ClusterLimiterState;
import io.ratelimit.core.internal.rundir.RunDirectoryLeaseStore;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.core.internal.rundir.RunDirectoryState.MovedToCluster;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;

/**
 * An embedded worker's state: the run directory's from the first request on, while this JVM's cluster
 * member starts in the background; the cluster's once every worker of the run on this machine has joined
 * and one of them has carried the directory's state over (permits and leases keep their ids, so none is
 * ever held twice, and start slots keep their spacing). When no cluster can form, the run directory stays
 * the run's state for good: exact across the JVMs of this machine, said once for the whole run.
 */
public final class SwitchingLimiterState implements LimiterState {
  private static final Logger LOG = Logs.get(SwitchingLimiterState.class);

  /** How long a joined JVM waits for the cluster's partitions to settle before it counts as joined. */
  private static final Duration PREPARE_BOUND = Duration.ofSeconds(3);

  private final RunDirectoryState interim;
  private final Duration joinBound;
  private final CompletableFuture<Joined> joined = new CompletableFuture<>();
  private final Map<String, SwitchingPermit> outstanding = new ConcurrentHashMap<>();
  private final LeaseStore leases = new SwitchingLeaseStore();
  private volatile Joined cluster;
  private volatile boolean closed;
  private final java.util.concurrent.CountDownLatch firstRelease = new java.util.concurrent.CountDownLatch(1);
  private volatile boolean expectsRequests;

  /** The cluster state, and the same wrapped for fail-over when the cluster is lost later. */
  private record Joined(ClusterLimiterState state, LimiterState guarded) {}

  /**
   * @param interim the run directory's state, used until the run moves
   * @param joinBound how long a call waits for this JVM's member when the run has moved without it
   */
  public SwitchingLimiterState(RunDirectoryState interim, Duration joinBound) {
    this.interim = interim;
    this.joinBound = joinBound;
    interim.onMoved(() -> {
      try {
        moved();
      } catch (RuntimeException e) {
        LOG.debug("could not take over after the move yet: {}", e.toString()); // the next call tries again
      }
    });
  }

  /**
   * This JVM has joined the cluster: {@code state} works there, {@code guarded} is the same with
   * fail-over. If every worker of the run has now joined, moves the run's state to the cluster.
   */
  public void joined(ClusterLimiterState state, LimiterState guarded) {
    if (closed) {
      guarded.close(); // the worker stopped while its member started
      return;
    }
    // ready the cluster path while the directory still keeps the limits: the move and the first calls after
    // it then meet no partition migration and no cold code
    io.ratelimit.core.internal.cluster.RunMove move = state.move();
    move.prepare(interim.permitNames(), PREPARE_BOUND);
    joined.complete(new Joined(state, guarded));
    if (interim.markJoined(state.holder(), move::carry)) {
      LOG.debug("ratelimit-testkit: every worker has joined; the run's state moved from {} to the cluster", interim.directory());
    }
    if (interim.hasMoved()) {
      moved();
    }
  }

  /** This JVM could not join any cluster: the run's state stays in the run directory, and the first to find out says so. */
  public void noCluster(String reason) {
    joined.completeExceptionally(new IllegalStateException(reason));
    if (interim.markNoCluster(reason)) {
      LOG.warn("ratelimit-testkit: the run's cluster could not form ({}). The JVMs of this run on this machine coordinate "
          + "through the run directory {} instead: limits, leases and the report stay run-wide and exact on this machine.",
          reason, interim.directory());
    }
  }

  /** The cluster state once the run has moved there, taking over this JVM's permits and leases on first use. */
  private synchronized LimiterState moved() {
    if (cluster != null) {
      return cluster.guarded();
    }
    Joined here;
    try {
      here = joined.get(joinBound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("ratelimit-testkit: interrupted while waiting to join the run's cluster", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("ratelimit-testkit: the other workers of this run have moved to its cluster, but this "
          + "JVM could not join it within " + joinBound.toSeconds() + " s ("
          + (e.getCause() == null ? e.toString() : e.getCause().getMessage()) + "); it sends nothing rather than "
          + "break the run's limits. Check PYTEST_CLUSTER_PORT and PYTEST_CLUSTER_JOIN_TIMEOUT.", e);
    }
    outstanding.values().forEach(permit -> permit.adopt(here.state()));
    RunDirectoryLeaseStore interimLeases = interim.leases();
    interimLeases.held().forEach((leaseId, key) -> {
      here.state().leases().adopt(leaseId, key);
      interimLeases.forget(leaseId);
    });
    cluster = here;
    return here.guarded();
  }

  private interface Call<T> {
    T on(LimiterState state) throws InterruptedIOException;
  }

  private <T> T call(Call<T> call) throws InterruptedIOException {
    if (cluster == null && !interim.hasMoved()) {
      try {
        return call.on(interim);
      } catch (MovedToCluster moved) {
        // fall through to the cluster
      }
    }
    return call.on(moved());
  }

  private <T> T quietly(Call<T> call) {
    try {
      return call(call);
    } catch (InterruptedIOException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  /** True once {@link #close()} has run. */
  public boolean isClosed() {
    return closed;
  }

  /** True once this JVM works in the cluster. */
  public boolean inCluster() {
    return cluster != null;
  }

  @Override
  public Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return call(state -> state.acquirePermit(name, cap, maxWait, condition).map(this::track));
  }

  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return call(state -> state.admit(limits, maxWait, condition).map(a -> new Admission(track(a.permit()), a.slot())));
  }

  /** A permit of the run directory's, followed so it can be taken over when the run moves; others as they are. */
  private Permit track(Permit permit) {
    if (!(permit instanceof RunDirectoryState.HeldPermit held)) {
      return permit;
    }
    SwitchingPermit tracked = new SwitchingPermit(held);
    outstanding.put(held.held().leaseId(), tracked);
    Joined here = cluster;
    if (here != null) {
      tracked.adopt(here.state()); // granted by the directory just as the run moved
    }
    return tracked;
  }

  /**
   * A permit taken in the run directory: released there, or in the cluster once the run has moved. No
   * lock is held while it waits for the move (the move takes over every outstanding permit).
   */
  private final class SwitchingPermit implements Permit {
    private final RunDirectoryState.HeldPermit interimPermit;
    private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicReference<Permit> adopted = new java.util.concurrent.atomic.AtomicReference<>();

    SwitchingPermit(RunDirectoryState.HeldPermit interimPermit) {
      this.interimPermit = interimPermit;
    }

    void adopt(ClusterLimiterState state) {
      if (!done.get() && adopted.get() == null) {
        adopted.compareAndSet(null, state.adopt(interimPermit.held().name(), interimPermit.held().leaseId()));
      }
    }

    @Override
    public boolean release() {
      return release(false);
    }

    @Override
    public boolean releaseWithoutWaiting() {
      return release(true);
    }

    private boolean release(boolean async) {
      if (!done.compareAndSet(false, true)) {
        return false;
      }
      firstRelease.countDown();
      outstanding.remove(interimPermit.held().leaseId());
      Permit there = adopted.get();
      if (there == null) {
        try {
          interimPermit.release();
          return true;
        } catch (MovedToCluster moved) {
          ClusterLimiterState state = movedState();
          adopted.compareAndSet(null, state.adopt(interimPermit.held().name(), interimPermit.held().leaseId()));
          there = adopted.get();
        }
      }
      return async ? there.releaseWithoutWaiting() : there.release();
    }
  }

  private ClusterLimiterState movedState() {
    moved();
    return cluster.state();
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    return quietly(state -> state.reserveStartSlot(limits));
  }

  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    quietly(state -> {
      state.feedback(limits, feedback);
      return null;
    });
  }

  @Override
  public AttemptWindow recentAttempts() {
    Joined here = cluster;
    return here != null ? here.guarded().recentAttempts() : interim.recentAttempts();
  }

  @Override
  public RateLimitStats statistics() {
    return quietly(LimiterState::statistics);
  }

  @Override
  public RunMode runMode() {
    Joined here = cluster;
    return here != null ? here.guarded().runMode() : interim.runMode();
  }

  @Override
  public RunMode switchToSequential(RunMode sequential) {
    return quietly(state -> state.switchToSequential(sequential));
  }

  @Override
  public int permitsHeld(String name) {
    return quietly(state -> state.permitsHeld(name));
  }

  @Override
  public void publish(String kind, String document) {
    quietly(state -> {
      state.publish(kind, document);
      return null;
    });
    if (interim.hasMoved()) {
      interim.keep(kind, document); // the cluster ends with the run's last JVM; the next fork of the build reads it here
    }
  }

  @Override
  public Map<String, String> published(String kind) {
    return quietly(state -> state.published(kind));
  }

  @Override
  public boolean claim(String key) {
    return quietly(state -> state.claim(key));
  }

  @Override
  public LeaseStore leases() {
    return leases;
  }

  @Override
  public Optional<String> refusal() {
    Joined here = cluster;
    return here != null ? here.guarded().refusal() : Optional.empty();
  }

  /**
   * A limited client was made: this JVM is about to send, so {@link #awaitFirstRelease} waits for the first
   * answer however long the client's own start takes (OkHttp's start alone takes over a second when several
   * forks start together on two cores).
   */
  public void expectRequests() {
    expectsRequests = true;
  }

  /**
   * Waits until this JVM's first permit has come back (its first request answered), so the member's start, in
   * the background, does not compete with that request for the CPU: at most {@code bound}, and only
   * {@code idle} while this JVM has made no limited client (a JVM that sends nothing starts its member then).
   */
  public void awaitFirstRelease(Duration idle, Duration bound) throws InterruptedException {
    long start = System.nanoTime();
    while (!firstRelease.await(20, TimeUnit.MILLISECONDS)) {
      long waited = System.nanoTime() - start;
      if (waited >= bound.toNanos() || (!expectsRequests && waited >= idle.toNanos())) {
        return;
      }
    }
  }

  /** Where this JVM's state is now, for the statistics and the worker info. */
  public String coordination() {
    return cluster != null ? "cluster" : "run directory " + interim.directory();
  }

  @Override
  public void close() {
    closed = true;
    interim.close();
    Joined here = cluster != null ? cluster : joined.handle((j, noCluster) -> j).getNow(null);
    if (here != null) {
      here.guarded().close();
    }
  }

  /** The lease tables, where the run's state is. */
  private final class SwitchingLeaseStore implements LeaseStore {
    @Override
    public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
      return quietly(state -> state.leases().take(key, items, count, leaseId, owner, maxHold));
    }

    @Override
    public List<String> release(String key, String leaseId) {
      return quietly(state -> state.leases().release(key, leaseId));
    }

    @Override
    public Map<String, Map<String, LeaseTable.Lease>> tables() {
      return quietly(state -> state.leases().tables());
    }

    @Override
    public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
      return quietly(state -> state.leases().free(item));
    }

    @Override
    public void awaitChange(String key, long nanos) throws InterruptedException {
      Joined here = cluster;
      (here != null ? here.guarded() : interim).leases().awaitChange(key, nanos);
    }

    @Override
    public int clearExpired() {
      return quietly(state -> state.leases().clearExpired());
    }

    @Override
    public void close() {
      // closed with the states
    }
  }
}
