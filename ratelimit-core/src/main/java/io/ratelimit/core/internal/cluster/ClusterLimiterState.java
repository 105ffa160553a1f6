package io.ratelimit.core.internal.cluster;

import io.ratelimit.core.internal.state.RunRecords;
import io.ratelimit.core.internal.state.RunModes;
import io.ratelimit.core.internal.state.Permits;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import io.ratelimit.core.internal.state.AttemptWindow;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.state.RunKeeper;
import io.ratelimit.core.internal.stats.StatsCodec;
import io.ratelimit.core.internal.stats.StatsRecorder;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
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
public final class ClusterLimiterState implements LimiterState, RunModes, RunRecords {
  private static final Logger LOG = Logs.get(ClusterLimiterState.class);

  /** How often this worker's counters are written to the cluster. */
  public static final Duration FLUSH_INTERVAL = Duration.ofMillis(500);
  /** A lease not renewed for this long is free again, even if its holder was never seen to leave. */
  static final Duration LEASE = Duration.ofSeconds(15);
  private static final Duration RENEW_EVERY = Duration.ofSeconds(5);
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
  private final ClusterPermits permitsPort;
  private final AttemptWindow recentAttempts = new SharedAttemptWindow();
  private final AtomicReference<RunMode> runMode = new AtomicReference<>(RunMode.PARALLEL);
  private final AtomicReference<AttemptWindow.Share> lastShare = new AtomicReference<>(new AttemptWindow.Share(0, 0));
  private final ScheduledExecutorService background;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final UUID membershipListener;
  private final UUID permitListener;
  private final UUID modeListener;
  private final UUID lifecycleListener;
  private volatile String lastFlushed = "";

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
    this.permitsPort = new ClusterPermits(permits, holder);
    // only changes to entries someone waits on are sent (SomeoneWaits, run on the owner): an admission
    // costs no event message to each member
    this.permitListener = permits.addEntryListener((EntryUpdatedListener<String, PermitTable>) e -> permitsPort.wake(e.getKey()), new SomeoneWaits(),
        false);
    this.modeListener = run.addEntryListener(new ModeListener(), MODE_KEY, true);
    runMode.set(StatsCodec.modeFromJson(run.get(MODE_KEY)));
    this.membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {}

      @Override
      public void memberRemoved(MembershipEvent event) {
        permitsPort.releaseLeasesOf(event.getMember().getUuid().toString());
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
    background.scheduleWithFixedDelay(permitsPort::renewQuietly, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(), TimeUnit.MILLISECONDS);
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

  @Override
  public Permits permits() {
    return permitsPort;
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
  public ClusterLeaseStore leases() {
    return leases;
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
      permitsPort.releaseAll();
      permits.removeEntryListener(permitListener);
      run.removeEntryListener(modeListener);
      hazelcast.getCluster().removeMembershipListener(membershipListener);
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
    } catch (RuntimeException e) {
      LOG.debug("cluster already gone while closing: {}", e.toString());
    }
  }
}
