package io.ratelimit.core.internal.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import io.ratelimit.core.internal.ApiLimits;
import io.ratelimit.core.internal.AttemptWindow;
import io.ratelimit.core.internal.LimiterState;
import io.ratelimit.core.internal.LeaseTable;
import io.ratelimit.core.internal.Permit;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.core.internal.rundir.RunFile;
import java.util.LinkedHashMap;
import io.ratelimit.core.internal.Pacing;
import io.ratelimit.core.internal.StatsRecorder;
import io.ratelimit.core.internal.TurnTaking;
import io.ratelimit.core.internal.WaitCondition;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import io.ratelimit.core.internal.Logs;
import org.slf4j.Logger;

/**
 * Limiter state shared by every worker of the run through Hazelcast IMaps changed by entry processors:
 * permits are leases owned by this member (freed when it leaves or stops renewing them) and handed out
 * in the order workers asked, a request's permit and start slot come in one round trip (both live in
 * the API's permit entry), counters are flushed every {@link #FLUSH_INTERVAL} under this worker's own
 * key (so no increment is ever lost to a race and a killed worker loses at most one interval), and the
 * run mode is one entry every member watches.
 */
public final class ClusterLimiterState implements LimiterState {
  private static final Logger LOG = Logs.get(ClusterLimiterState.class);

  /** How often this worker's counters are written to the cluster. */
  public static final Duration FLUSH_INTERVAL = Duration.ofMillis(500);
  /** A lease not renewed for this long is free again, even if its holder was never seen to leave. */
  static final Duration LEASE = Duration.ofSeconds(15);
  private static final Duration RENEW_EVERY = Duration.ofSeconds(5);
  /** Longest a waiter sleeps between attempts when no change event arrives (a safety net: events can be lost). */
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** A waiter's place in the cluster-wide queue lasts this long after its last try (it tries every 100 ms). */
  private static final long TICKET_MILLIS = 1_000;
  /** Earliest slot ahead of the owner's clock: covers the answer's trip back on a busy machine. */
  private static final long MAX_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final String MODE_KEY = "mode";
  private static final String WINDOW_KEY = "recent-attempts";

  private final HazelcastInstance hazelcast;
  private final String clusterName;
  private final String workerId;
  private final StatsRecorder recorder;
  private final String holder;
  private final IMap<String, PermitTable> permits;
  private final IMap<String, String> stats;
  private final IMap<String, String> run;
  private final IMap<String, Long> window;
  private final IMap<String, String> documents;
  private final ClusterLeaseStore leases;
  private final AttemptWindow recentAttempts = new SharedAttemptWindow();
  private final Map<String, Waiters> waiters = new ConcurrentHashMap<>();
  private final Set<HeldLease> held = ConcurrentHashMap.newKeySet();
  private final AtomicReference<RunMode> runMode = new AtomicReference<>(RunMode.PARALLEL);
  private final AtomicReference<AttemptWindow.Share> lastShare = new AtomicReference<>(new AttemptWindow.Share(0, 0));
  private final ScheduledExecutorService background;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final UUID membershipListener;
  private final UUID permitListener;
  private final UUID modeListener;
  private final UUID lifecycleListener;
  private volatile String lastFlushed = "";

  private record HeldLease(String name, String leaseId) {}

  /**
   * Local waiters for one permit name: only the head of the queue asks the cluster, the rest wait here.
   * Changes to the name's entry are counted, so a change that arrives between the head's ask and its wait
   * is not lost: the head asks again at once instead of sleeping to the recheck.
   */
  private static final class Waiters {
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

  /**
   * @param hazelcast a member or client of the run's cluster, with {@link ClusterSerialization} registered
   * @param clusterName the cluster's name, for the statistics
   * @param workerId this JVM's worker id: the key of its counters
   * @param recorder this JVM's counters
   */
  public ClusterLimiterState(HazelcastInstance hazelcast, String clusterName, String workerId, StatsRecorder recorder) {
    this.hazelcast = hazelcast;
    this.clusterName = clusterName;
    this.workerId = workerId;
    this.recorder = recorder;
    this.holder = hazelcast.getLocalEndpoint().getUuid().toString();
    this.permits = hazelcast.getMap("ratelimit.permits");
    this.stats = hazelcast.getMap("ratelimit.stats");
    this.run = hazelcast.getMap("ratelimit.run");
    this.window = hazelcast.getMap("ratelimit.window");
    this.documents = hazelcast.getMap("ratelimit.documents");
    this.leases = new ClusterLeaseStore(hazelcast);
    this.permitListener = permits.addEntryListener((EntryUpdatedListener<String, PermitTable>) e -> wake(e.getKey()), false);
    this.modeListener = run.addEntryListener(new ModeListener(), MODE_KEY, true);
    runMode.set(StatsCodec.modeFromJson(run.get(MODE_KEY)));
    this.membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {}

      @Override
      public void memberRemoved(MembershipEvent event) {
        releaseLeasesOf(event.getMember().getUuid().toString());
      }
    });
    // Forks that start at the same moment can form separate clusters that merge a few seconds later;
    // the merged side's entries may lose to the other's, so this worker writes its own again.
    this.lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.MERGED) {
        lastFlushed = "";
        runMode.set(StatsCodec.modeFromJson(run.get(MODE_KEY)));
      }
    });
    this.background = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ratelimit-cluster-sync");
      t.setDaemon(true);
      return t;
    });
    background.scheduleWithFixedDelay(this::flushQuietly, FLUSH_INTERVAL.toMillis(), FLUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(this::renewQuietly, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private final class ModeListener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
    @Override
    public void entryAdded(com.hazelcast.core.EntryEvent<String, String> event) {
      runMode.set(StatsCodec.modeFromJson(event.getValue()));
    }

    @Override
    public void entryUpdated(com.hazelcast.core.EntryEvent<String, String> event) {
      runMode.set(StatsCodec.modeFromJson(event.getValue()));
    }
  }

  private void wake(String name) {
    Waiters w = waiters.get(name);
    if (w != null) {
      w.signal();
    }
  }

  @Override
  public Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return acquire(name, cap, Pacing.Params.fixed(0), maxWait, condition).map(Admission::permit);
  }

  /** The permit and the start slot in one round trip: both live in the API's permit entry. */
  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return acquire(limits.permitName(), limits.maxInFlight(), limits.pacing(), maxWait, condition);
  }

  private Optional<Admission> acquire(String name, int cap, Pacing.Params pacing, Duration maxWait, WaitCondition condition)
      throws InterruptedIOException {
    String leaseId = UUID.randomUUID().toString();
    Waiters w = waiters.computeIfAbsent(name, n -> new Waiters());
    // the head of this JVM's line asks again when a release event arrives or after a short recheck
    // interval, so waiters never hammer the cluster
    return TurnTaking.acquire(w.turn, System.nanoTime() + maxWait.toNanos(), condition, TICKET_MILLIS,
        ticket -> {
          w.asking();
          return tryAcquire(name, cap, leaseId, ticket, pacing);
        }, left -> awaitRelease(w, Math.min(left, RECHECK_NANOS)),
        () -> withdraw(name, leaseId));
  }

  private Optional<Admission> tryAcquire(String name, int cap, String leaseId, long ticketMillis, Pacing.Params pacing) {
    long[] slot = permits.executeOnKey(name,
        new AcquirePermit(leaseId, holder, cap, LEASE.toMillis(), ticketMillis, pacing, lead(pacing.floorNanos())));
    if (slot == null) {
      return Optional.empty();
    }
    HeldLease lease = new HeldLease(name, leaseId);
    held.add(lease);
    return Optional.of(new Admission(releaser(lease), Pacing.Slot.of(slot)));
  }

  private static long lead(long spacingNanos) {
    return Math.min(spacingNanos / 2, MAX_LEAD_NANOS);
  }

  /** Gives up a waiter's place in the queue at once, rather than blocking the next waiter until it expires. */
  private void withdraw(String name, String leaseId) {
    try {
      permits.submitToKey(name, new ReleasePermit(leaseId));
    } catch (RuntimeException e) {
      LOG.debug("could not withdraw from the queue for {}: {}", name, e.toString());
    }
  }

  private static void awaitRelease(Waiters w, long nanos) throws InterruptedIOException {
    try {
      w.awaitChange(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a permit");
    }
  }

  private Permit releaser(HeldLease lease) {
    AtomicBoolean done = new AtomicBoolean();
    return new Permit() {
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
        held.remove(lease);
        if (!closed.get()) {
          try {
            if (async) {
              permits.submitToKey(lease.name(), new ReleasePermit(lease.leaseId())).whenComplete((freed, e) -> {
                if (e != null) {
                  LOG.debug("could not release lease {} on {}: {}", lease.leaseId(), lease.name(), e.toString());
                }
              });
            } else {
              permits.executeOnKey(lease.name(), new ReleasePermit(lease.leaseId()));
            }
          } catch (RuntimeException e) {
            // the cluster is gone or going: the lease dies with this member or expires
            LOG.debug("could not release lease {} on {}: {}", lease.leaseId(), lease.name(), e.toString());
          }
        }
        return true;
      }
    };
  }

  /**
   * A permit of this JVM's taken in the run directory before the run moved here, already carried over
   * (same lease id): renewed from now on, released through the permit returned.
   */
  public Permit adopt(String name, String leaseId) {
    HeldLease lease = new HeldLease(name, leaseId);
    held.add(lease);
    return releaser(lease);
  }

  /**
   * Readies this JVM's path into the cluster before it says it has joined, while the run directory still
   * keeps the run's limits: waits (bounded) until no partition is migrating, so the move and the first
   * admissions after it do not stall in Hazelcast's migration retries, and makes the first calls (code
   * loaded, connections and record stores warm) on the entries the move will use. Bounded by {@code bound}; a
   * cluster that stays unsafe is moved into anyway (Hazelcast retries the calls), only later.
   *
   * @param permitNames the permit names the run directory holds (their entries are read once)
   */
  public void prepare(Set<String> permitNames, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    try {
      com.hazelcast.partition.PartitionService partitions = hazelcast.getPartitionService();
      while (!partitions.isClusterSafe() && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    } catch (UnsupportedOperationException client) {
      // a client has no view of migrations: its calls are routed by the members
    }
    try {
      permitNames.forEach(permits::get);
      window.get(WINDOW_KEY);
      leases.clearExpired(); // a cluster the run joins may hold leases that ended while no one was there
    } catch (RuntimeException e) {
      LOG.debug("could not ready the cluster path before the move: {}", e.toString()); // the move makes the same calls
    }
  }

  /**
   * Takes over the run directory's state when the run moves here, under the directory's lock (see
   * {@link RunDirectoryState.Carrier}): held permits and their start slots, leases, the run mode, claims,
   * documents, the counters of workers that already left, the window of recent attempts. Every write is
   * sent at once and waited for together, so the directory's lock is held for one round trip, not one
   * per entry.
   */
  public void carry(RunFile state, Map<String, String> statistics, Map<String, Map<String, String>> documents,
      Map<String, String> claims) {
    long now = System.currentTimeMillis();
    java.util.List<java.util.concurrent.CompletableFuture<?>> writes = new java.util.ArrayList<>();
    state.permits.forEach((name, entry) -> {
      Map<String, String> holders = new LinkedHashMap<>();
      entry.held.forEach((leaseId, participant) -> {
        String member = state.participants.get(participant);
        if (member != null && !member.isEmpty()) {
          holders.put(leaseId, member);
        }
      });
      writes.add(permits.submitToKey(name, new CarryPermits(holders, LEASE.toMillis(), entry.pacing)).toCompletableFuture());
    });
    state.leases.forEach((key, items) -> {
      Map<String, LeaseTable.Lease> carried = new TreeMap<>();
      items.forEach((item, lease) -> {
        String member = state.participants.get(lease.holder());
        if (member != null && !member.isEmpty()) {
          carried.put(item, new LeaseTable.Lease(lease.leaseId(), lease.owner(), member, lease.sinceMillis(), now + LEASE.toMillis(),
              lease.maxUntilMillis()));
        }
      });
      writes.add(leases.carry(key, carried));
    });
    if (state.mode != null) {
      writes.add(run.submitToKey(MODE_KEY, new SwitchMode(state.mode)).toCompletableFuture());
    }
    documents.forEach((kind, byWorker) -> byWorker.forEach((worker, document) ->
        writes.add(this.documents.setAsync(kind + "/" + worker, document).toCompletableFuture())));
    writes.add(window.setAsync(WINDOW_KEY, state.window).toCompletableFuture());
    // IMap has no asynchronous putIfAbsent: these few go one by one while the writes above are on their way
    claims.forEach((key, worker) -> run.putIfAbsent("claim/" + key, worker));
    statistics.forEach(stats::putIfAbsent);
    try {
      java.util.concurrent.CompletableFuture.allOf(writes.toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(LEASE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while carrying the run's state into its cluster", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // the directory stays the run's state: nothing is marked moved, the next tick tries again
      throw new IllegalStateException("could not carry the run's state into its cluster: " + e, e);
    }
  }

  /** This JVM's member or client UUID: the holder of its permits and leases. */
  public String holder() {
    return holder;
  }

  @Override
  public ClusterLeaseStore leases() {
    return leases;
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    Pacing.Params pacing = limits.pacing();
    if (!pacing.paces()) {
      return Pacing.Slot.NOW;
    }
    return Pacing.Slot.of(permits.executeOnKey(limits.permitName(), new ReserveSlot(pacing, lead(pacing.floorNanos()))));
  }

  /** Sent without waiting: the response is on its way to the caller already. */
  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    permits.submitToKey(limits.permitName(), new PaceFeedback(limits.pacing(), feedback));
  }

  @Override
  public AttemptWindow recentAttempts() {
    return recentAttempts;
  }

  /** The run's window, one entry; appends are asynchronous, so the request path never waits on it. */
  private final class SharedAttemptWindow implements AttemptWindow {
    @Override
    public void record(boolean rateLimited) {
      try {
        window.submitToKey(WINDOW_KEY, new AppendOutcome(rateLimited)).thenAccept(packed -> lastShare.set(AppendOutcome.share(packed)));
      } catch (RuntimeException e) {
        LOG.debug("could not record an outcome: {}", e.toString()); // the cluster is going; the request is not
      }
    }

    @Override
    public Share share() {
      return lastShare.get();
    }
  }

  @Override
  public RateLimitStats statistics() {
    flushQuietly();
    Map<String, Map<String, ApiStats>> byWorker = new TreeMap<>();
    stats.entrySet().forEach(e -> byWorker.put(e.getKey(), StatsCodec.statsFromJson(e.getValue())));
    byWorker.put(workerId, recorder.snapshot()); // this worker's own counters are always the freshest
    return new RateLimitStats(coordination(), byWorker);
  }

  private String coordination() {
    boolean client = !(hazelcast.getLocalEndpoint() instanceof com.hazelcast.cluster.Member);
 return "cluster " + clusterName + " (" + hazelcast.getCluster().getMembers().size()
        + " members" + (client ? ", this worker a client" : "") + ")";
  }

  @Override
  public int permitsHeld(String name) {
    PermitTable table = permits.get(name);
    if (table == null) {
      return 0;
    }
    table.dropExpired(System.currentTimeMillis());
    return table.size();
  }

  @Override
  public void publish(String kind, String document) {
    documents.set(kind + "/" + workerId, document);
  }

  @Override
  public Map<String, String> published(String kind) {
    Map<String, String> out = new TreeMap<>();
    String prefix = kind + "/";
    documents.entrySet().forEach(e -> {
      if (e.getKey().startsWith(prefix)) {
        out.put(e.getKey().substring(prefix.length()), e.getValue());
      }
    });
    return out;
  }

  @Override
  public boolean claim(String key) {
    return run.putIfAbsent("claim/" + key, workerId) == null;
  }

  @Override
  public RunMode runMode() {
    return runMode.get();
  }

  @Override
  public RunMode switchToSequential(RunMode sequential) {
    String wanted = StatsCodec.modeToJson(sequential);
    RunMode after = StatsCodec.modeFromJson(run.executeOnKey(MODE_KEY, new SwitchMode(wanted)));
    runMode.set(after);
    return after;
  }

  /** Writes this worker's counters under its own key, when they changed. */
  void flush() {
    Map<String, ApiStats> snapshot = recorder.snapshot();
    if (snapshot.isEmpty()) {
      return; // a JVM that sent nothing (an observer, a member) adds no row of zeros to the report
    }
    String json = StatsCodec.statsToJson(snapshot);
    if (!json.equals(lastFlushed)) {
      stats.set(workerId, json);
      lastFlushed = json;
    }
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.debug("could not flush statistics: {}", e.toString());
    }
  }

  private void renewQuietly() {
    try {
      held.stream().map(HeldLease::name).distinct()
          .forEach(name -> permits.submitToKey(name, new RenewLeases(holder, LEASE.toMillis())));
    } catch (RuntimeException e) {
      LOG.debug("could not renew leases: {}", e.toString());
    }
  }

  private void releaseLeasesOf(String leftHolder) {
    try {
      Map<String, Integer> freed = permits.executeOnEntries(new ReleaseHolder(leftHolder));
      int total = freed.values().stream().mapToInt(Integer::intValue).sum();
      if (total > 0) {
        LOG.warn("ratelimit-testkit: a worker left the cluster holding {} permit(s); they are free again", total);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not free the leases of {}: {}", leftHolder, e.toString());
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    background.shutdownNow();
    leases.close();
    try {
      flush();
      for (HeldLease lease : held) {
        permits.executeOnKey(lease.name(), new ReleasePermit(lease.leaseId()));
      }
      permits.removeEntryListener(permitListener);
      run.removeEntryListener(modeListener);
      hazelcast.getCluster().removeMembershipListener(membershipListener);
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
    } catch (RuntimeException e) {
      LOG.debug("cluster already gone while closing: {}", e.toString());
    }
    held.clear();
  }
}
