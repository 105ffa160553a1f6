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
import io.ratelimit.core.internal.Permit;
import io.ratelimit.core.internal.Pacing;
import io.ratelimit.core.internal.RunKeeper;
import io.ratelimit.core.internal.StatsCodec;
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
import io.ratelimit.core.spi.Logs;
import org.slf4j.Logger;

/**
 * Limiter state shared by every worker of the run through Hazelcast IMaps changed by entry processors:
 * permits are leases owned by this member (freed when it leaves or stops renewing them) and handed out
 * in the order workers asked, a request's permit and start slot come in one round trip (both live in
 * the API's permit entry), counters are flushed every {@link #FLUSH_INTERVAL} under this worker's own
 * key (so no increment is ever lost to a race and a killed worker loses at most one interval), and the
 * run mode is one entry every member watches. With a {@link RunKeeper} (an embedded run on one machine),
 * counters and documents are also kept beyond the cluster's life, and claims are made there.
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
  static final String MODE_KEY = "mode";
  static final String WINDOW_KEY = "recent-attempts";

  private final HazelcastInstance hazelcast;
  private final String displayName;
  private final String workerId;
  private final StatsRecorder recorder;
  /** Keeps counters, documents and claims beyond the cluster's life; null when the run spans machines. */
  private final RunKeeper keeper;
  private final String holder;
  private final RunMaps maps;
  private final IMap<String, PermitTable> permits;
  private final IMap<String, String> stats;
  private final IMap<String, String> run;
  private final IMap<String, Long> window;
  private final IMap<String, String> documents;
  private final ClusterLeaseStore leases;
  private final AttemptWindow recentAttempts = new SharedAttemptWindow();
  private final Map<String, PermitWaiters> waiters = new ConcurrentHashMap<>();
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
   * @param hazelcast a member or client of the run's cluster, with {@link ClusterSerialization} registered
   * @param displayName the cluster's name for people (never the secret one Hazelcast uses), for the statistics
   * @param workerId this JVM's worker id: the key of its counters
   * @param recorder this JVM's counters
   */
  public ClusterLimiterState(HazelcastInstance hazelcast, String displayName, String workerId, StatsRecorder recorder) {
    this(hazelcast, displayName, workerId, recorder, null);
  }

  /**
   * The same, for an embedded run whose counters, documents and claims {@code keeper} also keeps (its
   * worker id is this JVM's).
   */
  public ClusterLimiterState(HazelcastInstance hazelcast, String displayName, StatsRecorder recorder, RunKeeper keeper) {
    this(hazelcast, displayName, keeper.workerId(), recorder, keeper);
  }

  private ClusterLimiterState(HazelcastInstance hazelcast, String displayName, String workerId, StatsRecorder recorder, RunKeeper keeper) {
    this.keeper = keeper;
    this.hazelcast = hazelcast;
    this.displayName = displayName;
    this.workerId = workerId;
    this.recorder = recorder;
    this.holder = hazelcast.getLocalEndpoint().getUuid().toString();
    this.maps = RunMaps.of(hazelcast);
    this.permits = maps.permits();
    this.stats = maps.stats();
    this.run = maps.run();
    this.window = maps.window();
    this.documents = maps.documents();
    this.leases = new ClusterLeaseStore(hazelcast);
    // only changes to entries someone waits on are sent (SomeoneWaits, run on the owner): an admission
    // costs no event message to each member
    this.permitListener = permits.addEntryListener((EntryUpdatedListener<String, PermitTable>) e -> wake(e.getKey()), new SomeoneWaits(),
        false);
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
    PermitWaiters w = waiters.get(name);
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
    PermitWaiters w = waiters.computeIfAbsent(name, n -> new PermitWaiters());
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

  private static void awaitRelease(PermitWaiters w, long nanos) throws InterruptedIOException {
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
        window.submitToKey(WINDOW_KEY, new AppendOutcome(rateLimited)).thenAccept(packed -> lastShare.set(AttemptWindow.share(packed)));
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
    // what workers kept on leaving (forks of this run that were in an earlier cluster), then the cluster's own
    Map<String, Map<String, ApiStats>> byWorker = keeper == null ? new TreeMap<>() : new TreeMap<>(keeper.keptCounters());
    stats.entrySet().forEach(e -> byWorker.put(e.getKey(), StatsCodec.statsFromJson(e.getValue())));
    byWorker.put(workerId, recorder.snapshot()); // this worker's own counters are always the freshest
    return new RateLimitStats(coordination(), byWorker);
  }

  private String coordination() {
    boolean client = !(hazelcast.getLocalEndpoint() instanceof com.hazelcast.cluster.Member);
 return "cluster " + displayName + " (" + hazelcast.getCluster().getMembers().size()
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
    if (keeper != null) {
      keeper.keepDocument(kind, document); // the cluster ends with the run's last JVM; the next fork reads it there
    }
  }

  @Override
  public Map<String, String> published(String kind) {
    Map<String, String> out = keeper == null ? new TreeMap<>() : new TreeMap<>(keeper.keptDocuments(kind));
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
    if (keeper != null) {
      return keeper.claim(key); // one machine: exact across the run's clusters, an earlier one's claims included
    }
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
    if (keeper != null) {
      try {
        keeper.keepCounters(recorder.snapshot()); // first: what the report needs survives a cluster already gone
      } catch (RuntimeException e) {
        LOG.debug("could not keep the counters in the run directory: {}", e.toString());
      }
    }
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
