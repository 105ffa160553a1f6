package io.ratelimit.core.internal.lifecycle;

import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.internal.jvm.FreezeDetector;
import io.ratelimit.core.internal.leases.LeaseSettings;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.local.LocalLimiterState;
import io.ratelimit.core.internal.state.RunKeeper;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.cluster.ClusterLimiterState;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.core.internal.rundir.RunDirectoryKeeper;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.core.internal.rundir.StartTimesFile;
import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.hazelcast.RunDirectory;
import io.ratelimit.settings.Setting;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
import io.ratelimit.settings.ValueParsers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * How a worker starts: which state its mode gives it, and where that state is. The state never moves: it is
 * where the worker starts it. {@code machine} (the default): the run directory, exact across the JVMs of this
 * machine, with no member to start. {@code embedded}: a cluster of this machine's JVMs, joined before the
 * first request, the run directory keeping what must outlive it. {@code members} and {@code client}: a
 * cluster, possibly across machines. A worker in a cluster fails over when it loses it (joins or connects
 * again, sending nothing meanwhile) and refuses every request when it cannot have one: never a share of the
 * limits of its own. {@code local}: this JVM only.
 */
public final class Startup {
  private static final Logger LOG = Logs.get(Startup.class);
  private static final SettingKey WORKER_ID = SettingKey.of("worker-id");
  /** Between two tries to join or connect, when a try failed at once (e.g. a bind refused). */
  private static final Duration CONNECT_PAUSE = Duration.ofSeconds(1);

  private Startup() {}

  /** A worker whose limits hold within this JVM only, with its own counters; no cluster. */
  public static Worker local() {
    String workerId = defaultWorkerId();
    StatsRecorder recorder = new StatsRecorder();
    return new Worker(workerId, recorder, new LocalLimiterState(workerId, "local", recorder), new Connections(null),
        LeaseSettings.DEFAULTS, FreezeDetector.never(), StartTimes.inThisJvm());
  }

  /**
   * A worker of the run {@code source}'s {@code PYTEST_*} settings describe, ready, and closed with its program.
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value
   */
  public static Worker start(SettingsSource source) {
    RateLimitConfig runConfig = RateLimitConfig.from(source, RateLimitConfig.DEFAULT_API);
    ClusterSettings settings = ClusterSettings.from(source);
    SettingsReader reader = new SettingsReader(source);
    String workerId = reader.readOptional(WORKER_ID, ValueParsers.matching("[A-Za-z0-9._@-]{1,64}",
        "1 to 64 letters, digits, dots, dashes, underscores or @")).map(Setting::value).orElseGet(Startup::defaultWorkerId);
    LeaseSettings leaseSettings = LeaseSettings.read(reader);
    reader.throwIfInvalid();
    if (runConfig.debug()) {
      Logs.debug(true); // PYTEST_DEBUG=true: the library's DEBUG messages come out (at INFO)
    }
    StatsRecorder recorder = new StatsRecorder();
    Worker worker = switch (settings.mode()) {
      case MACHINE -> onThisMachine(settings, workerId, recorder, leaseSettings);
      case EMBEDDED -> embedded(settings, workerId, recorder, leaseSettings);
      case LOCAL -> local(settings, workerId, recorder, leaseSettings);
      case MEMBERS, CLIENT -> connected(settings, workerId, recorder, leaseSettings);
    };
    worker.endWithTheProgram();
    return worker;
  }

  /** Local by choice: a run of one JVM. */
  private static Worker local(ClusterSettings settings, String workerId, StatsRecorder recorder, LeaseSettings leaseSettings) {
    Connections connections = new Connections(null);
    connections.add(ClusterConnector.connect(settings, ClusterSerialization::register));
    return new Worker(workerId, recorder, new LocalLimiterState(workerId, "local", recorder), connections, leaseSettings,
        FreezeDetector.never(), StartTimes.inThisJvm());
  }

  /**
   * The default: the run directory is the run's state, with no cluster member; unless the run was declared
   * for a cluster (a standalone {@code ClusterMember}'s), which the worker then joins first.
   */
  private static Worker onThisMachine(ClusterSettings settings, String workerId, StatsRecorder recorder, LeaseSettings leaseSettings) {
    RunDirectory directory = RunDirectory.of(settings);
    if (!RunDirectoryState.declaresCluster(directory)) {
      try {
        return onRunDirectory(directory, workerId, recorder, leaseSettings);
      } catch (RunDirectoryState.InItsCluster declaredMeanwhile) {
        // declared between the look and the entry: join its cluster
      }
    }
    return embedded(settings, workerId, recorder, leaseSettings);
  }

  /**
   * A worker on the run directory's state.
   *
   * @throws RunDirectoryState.InItsCluster when the run was declared for a cluster
   */
  private static Worker onRunDirectory(RunDirectory directory, String workerId, StatsRecorder recorder, LeaseSettings leaseSettings) {
    RunDirectoryState state = new RunDirectoryState(directory, workerId, recorder);
    return new Worker(state.workerId(), recorder, state, new Connections(null), leaseSettings, FreezeDetector.jvm(), state.starts());
  }

  /**
   * Embedded: the run's JVMs on this machine form a cluster, and this one joins it before it sends; the run
   * directory keeps what must outlive the cluster (see {@link RunKeeper}). The run directory also decides,
   * under its lock, where the run's state is, once and for every JVM of the run: the first JVM to join a
   * cluster declares it there, and a JVM that could not join one keeps the state in the run directory unless
   * a cluster was declared (then it refuses to send: it cannot guess its share). A JVM that joined after
   * others had kept the state in the run directory leaves its cluster and keeps it there too. So the run
   * never has two states that would each allow the whole limits.
   */
  private static Worker embedded(ClusterSettings settings, String requestedWorkerId, StatsRecorder recorder, LeaseSettings leaseSettings) {
    RunDirectory directory = RunDirectory.of(settings);
    RunDirectoryKeeper keeper = new RunDirectoryKeeper(directory, requestedWorkerId);
    FreezeDetector freezes = FreezeDetector.jvm();
    long freezesBefore = freezes.freezes();
    ClusterConnection connection = connectWithin(settings);
    if (connection.instance().isPresent() && RunDirectoryState.declareCluster(directory)) {
      return inCluster(settings, connection, keeper.workerId(), recorder, leaseSettings, keeper, freezes, freezesBefore,
          StartTimesFile.in(directory));
    }
    String reason = connection.fallbackReason().orElse("JVMs of this run keep its state in the run directory");
    leave(connection);
    boolean first = keeper.claim("ratelimit-testkit:no-cluster"); // the run says it once (a key no integration uses)
    keeper.close();
    try {
      Worker onThisMachine = onRunDirectory(directory, requestedWorkerId, recorder, leaseSettings);
      if (first) {
        LOG.warn("ratelimit-testkit: the run's cluster could not form ({}). The JVMs of this run on this machine coordinate "
            + "through the run directory {} instead: limits, leases and the report stay run-wide and exact on this machine.",
            reason, directory.path());
      }
      return onThisMachine;
    } catch (RunDirectoryState.InItsCluster others) {
      return refusing(settings, reason, requestedWorkerId, recorder, leaseSettings, freezes);
    }
  }

  /**
   * Members and client mode: the run spans machines (or shares a cluster with other jobs), so no state of
   * this machine, the run directory included, can keep the limits with the JVMs elsewhere. The worker has
   * its cluster before its first request, or refuses every request with the reason.
   */
  private static Worker connected(ClusterSettings settings, String workerId, StatsRecorder recorder, LeaseSettings leaseSettings) {
    FreezeDetector freezes = FreezeDetector.jvm();
    long freezesBefore = freezes.freezes();
    ClusterConnection connection = connectWithin(settings);
    if (connection.instance().isEmpty()) {
      return refusing(settings, connection.fallbackReason().orElse("no cluster"), workerId, recorder, leaseSettings, freezes);
    }
    return inCluster(settings, connection, workerId, recorder, leaseSettings, null, freezes, freezesBefore, StartTimes.inThisJvm());
  }

  /** A worker that refuses every request and lease, with one warning that says why. */
  private static Worker refusing(ClusterSettings settings, String reason, String workerId, StatsRecorder recorder,
      LeaseSettings leaseSettings, FreezeDetector freezes) {
    Connections none = new Connections(null);
    LimiterState refusing = none.refuse(NoCluster.message(settings, null, reason), NoCluster.coordination(settings, reason),
        workerId, recorder);
    return new Worker(workerId, recorder, refusing, none, leaseSettings, freezes, StartTimes.inThisJvm());
  }

  /**
   * A worker in the cluster {@code connection} joined, failing over when it is lost.
   *
   * @param keeper the run directory's keeper in embedded mode (its worker id is {@code workerId}); null when the
   *     run spans machines
   */
  private static Worker inCluster(ClusterSettings settings, ClusterConnection connection, String workerId, StatsRecorder recorder,
      LeaseSettings leaseSettings, RunKeeper keeper, FreezeDetector freezes, long freezesBefore, StartTimes starts) {
    Connections connections = new Connections(keeper);
    connections.add(connection);
    ClusterLimiterState cluster = clusterState(connection, workerId, recorder, keeper);
    LimiterState state = new FailoverLimiterState(cluster, why -> {
      leave(connections.latest().orElse(connection)); // one instance per JVM: the lost one is left before another is made
      ClusterConnection again = connectWithin(settings);
      if (again.instance().isEmpty()) {
        String reason = again.fallbackReason().orElse("no cluster");
        return connections.refuse(NoCluster.message(settings, why, reason), NoCluster.coordination(settings, "lost, then " + reason),
            workerId, recorder);
      }
      connections.add(again);
      LOG.warn("ratelimit-testkit: worker {} is back in {} after losing it; it sends again", workerId, again);
      return clusterState(again, workerId, recorder, keeper);
    }, "sends nothing while it " + NoCluster.verb(settings) + "s again (PYTEST_CLUSTER_JOIN_TIMEOUT, "
        + NoCluster.seconds(settings.joinTimeout()) + " s), and refuses every request if it cannot", freezes, freezesBefore);
    LOG.debug("ratelimit-testkit: worker {} joined {} in {} ms", workerId, connection, connection.joinTime().toMillis());
    return new Worker(workerId, recorder, state, connections, leaseSettings, freezes, starts);
  }

  private static ClusterLimiterState clusterState(ClusterConnection connection, String workerId, StatsRecorder recorder, RunKeeper keeper) {
    HazelcastInstance hz = connection.instance().orElseThrow();
    return keeper == null ? new ClusterLimiterState(hz, connection.displayName(), workerId, recorder)
        : new ClusterLimiterState(hz, connection.displayName(), recorder, keeper);
  }

  /**
   * Stops a lost member or client at once, without a graceful leave: the others have dropped it, or will
   * now, and it must not run on with its own copy of the state (nor merge it back).
   */
  private static void leave(ClusterConnection lost) {
    lost.instance().ifPresent(instance -> {
      try {
        instance.getLifecycleService().terminate();
      } catch (RuntimeException alreadyGone) {
        // nothing to leave
      }
    });
  }

  /**
   * Joins or connects to the run's cluster, trying again while {@code PYTEST_CLUSTER_JOIN_TIMEOUT} lasts when
   * a try fails early (a try itself gives up after the join timeout, or that plus 5 s when it hangs).
   */
  private static ClusterConnection connectWithin(ClusterSettings settings) {
    long deadline = System.nanoTime() + settings.joinTimeout().toNanos();
    while (true) {
      ClusterConnection connection = ClusterConnector.connect(settings, ClusterSerialization::register, false);
      long left = deadline - System.nanoTime();
      if (connection.instance().isPresent() || left <= 0) {
        return connection;
      }
      try {
        Thread.sleep(Math.max(1, Math.min(CONNECT_PAUSE.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return connection;
      }
    }
  }

  /** Host name and process id, e.g. {@code 4242@ci-runner}. */
  public static String defaultWorkerId() {
    return ProcessHandle.current().pid() + "@" + hostName();
  }

  /**
   * This machine's name as the shell knows it, or as the JVM resolves it: the environment first, since
   * resolving the local host name (what {@code RuntimeMXBean.getName()} does) waits for DNS on some CI machines.
   */
  private static String hostName() {
    for (String variable : List.of("HOSTNAME", "COMPUTERNAME")) {
      String name = System.getenv(variable);
      if (name != null && !name.isBlank()) {
        return name.trim();
      }
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }
}
