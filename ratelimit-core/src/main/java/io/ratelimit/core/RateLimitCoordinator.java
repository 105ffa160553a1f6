package io.ratelimit.core;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.ratelimit.core.internal.AdmissionInterceptor;
import io.ratelimit.core.internal.AttemptGate;
import io.ratelimit.core.internal.ApiLimits;
import io.ratelimit.core.internal.ExitWatcher;
import io.ratelimit.core.internal.FailoverLimiterState;
import io.ratelimit.core.internal.FreezeDetector;
import io.ratelimit.core.internal.LeaseBroker;
import io.ratelimit.core.internal.LeaseSettings;
import io.ratelimit.core.internal.LimiterState;
import io.ratelimit.core.internal.LocalLimiterState;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.internal.NoCluster;
import io.ratelimit.core.internal.RetryOn429Interceptor;
import io.ratelimit.core.internal.SequentialSwitch;
import io.ratelimit.core.internal.RefusingLimiterState;
import io.ratelimit.core.internal.StatsRecorder;
import io.ratelimit.core.internal.SwitchingLimiterState;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.hazelcast.ClusterMode;
import io.ratelimit.hazelcast.RunDirectory;
import java.util.concurrent.CompletableFuture;
import io.ratelimit.core.spi.TestAttribution;
import io.ratelimit.core.internal.WaitCondition;
import io.ratelimit.core.internal.cluster.ClusterLimiterState;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.settings.Setting;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
import io.ratelimit.settings.ValueParsers;
import java.util.concurrent.atomic.AtomicBoolean;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;

/**
 * Owns the limiter state that rate-limited clients share and the counters they feed. Clients made by
 * one coordinator keep to the same limits together. {@link #start} joins the run's cluster so the limits
 * hold across all worker JVMs; {@link #local()} makes an isolated one; {@link RateLimitedClients} holds
 * one per JVM.
 */
public final class RateLimitCoordinator implements AutoCloseable {
  private static final Logger LOG = Logs.get(RateLimitCoordinator.class);

  private static final SettingKey WORKER_ID = SettingKey.of("worker-id");
  /** Longest a stopping worker waits for its requests on the wire, so their outcomes are in its last flush. */
  private static final Duration DRAIN_BOUND = Duration.ofSeconds(2);
  /**
   * An embedded worker starts its member this long after its first request is answered (after twice this
   * long if it sends nothing): the run directory keeps the limits exact meanwhile, and on a small machine
   * the member's start (1.5-3 CPU s) would slow the first requests of the forks that start beside it.
   */
  private static final Duration JOIN_DELAY = Duration.ofSeconds(1);
  /** Longest a worker whose first request is under way holds its member's start back for the answer. */
  private static final Duration FIRST_ANSWER_BOUND = Duration.ofSeconds(10);
  /** Between two tries to join or connect, when a try failed at once (e.g. a bind refused). */
  private static final Duration CONNECT_PAUSE = Duration.ofSeconds(1);
  /** Longest a close takes: the drain, the last flush and leaving the cluster (15 s at most). */
  private static final Duration CLOSE_BOUND = Duration.ofSeconds(20);

  private final String workerId;
  private final StatsRecorder recorder;
  private final LimiterState state;
  private final CompletableFuture<ClusterConnection> connection;
  private final LeaseBroker leases;
  private final Set<String> described = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closeDone = new CountDownLatch(1);
  private final AttemptGate attemptGate = new AttemptGate();
  private final io.ratelimit.core.internal.PacingBoard pacingBoard = new io.ratelimit.core.internal.PacingBoard();
  /** Connections made after the first, by a JVM that lost its cluster; and a refusal, once made. */
  private final Reconnections reconnections;
  private volatile Thread shutdownHook;
  private final List<ExitWatcher.Watch> exitWatches = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final RetryRegistry retries = RetryRegistry.ofDefaults();
  /** Tells when this JVM was frozen long enough that the run's cluster may have dropped it. */
  private final FreezeDetector freezes;

  private RateLimitCoordinator(String workerId, StatsRecorder recorder, LimiterState state, CompletableFuture<ClusterConnection> connection,
      Reconnections reconnections, LeaseSettings leaseSettings, FreezeDetector freezes) {
    this.workerId = workerId;
    this.recorder = recorder;
    this.state = state;
    this.connection = connection;
    this.reconnections = reconnections;
    this.freezes = freezes;
    this.leases = new LeaseBroker(state.leases(), workerId, leaseSettings, freezes);
  }

  /**
   * The connections a JVM makes after its first one (it lost its cluster and connected again), left when
   * the coordinator closes and watched like the first, so their threads never keep the JVM alive; and
   * the refusal, once no cluster could be had.
   */
  private static final class Reconnections {
    private final List<ClusterConnection> made = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile java.util.function.Consumer<ClusterConnection> watch = made -> { };
    private volatile RefusingLimiterState refusal;
    private boolean closed; // guarded by this

    synchronized void add(ClusterConnection connection) {
      if (closed) {
        connection.close(); // the worker stopped while it connected again
        return;
      }
      made.add(connection);
      watch.accept(connection);
    }

    Optional<ClusterConnection> latest() {
      return made.isEmpty() ? Optional.empty() : Optional.of(made.get(made.size() - 1));
    }

    /** Logs the refusal once and returns the state that refuses with it. */
    RefusingLimiterState refuse(String reason, String coordination, String workerId, StatsRecorder recorder) {
      LOG.warn(reason);
      RefusingLimiterState refusing = new RefusingLimiterState(reason, coordination, workerId, recorder);
      refusal = refusing;
      return refusing;
    }

    synchronized void closeAll() {
      closed = true;
      made.forEach(ClusterConnection::close);
    }
  }

  /** A coordinator whose limits hold within this JVM only, with its own counters; no cluster. */
  public static RateLimitCoordinator local() {
    String workerId = defaultWorkerId();
    StatsRecorder recorder = new StatsRecorder();
    return new RateLimitCoordinator(workerId, recorder, new LocalLimiterState(workerId, "local", recorder),
        CompletableFuture.completedFuture(null), new Reconnections(), LeaseSettings.DEFAULTS, FreezeDetector.NEVER);
  }

  /**
   * A coordinator sharing its limits, counters and run mode with every worker of the run, as
   * {@code source}'s {@code PYTEST_CLUSTER_*} settings say. By default ({@code machine}) through the run
   * directory, exact across the JVMs of this machine, with no cluster member to start. An {@code embedded}
   * worker starts on the run directory too, joins a cluster of the machine's JVMs in the background and
   * moves there with the others; when no cluster can form, the run stays on the run directory. A {@code members} or {@code client} worker joins
   * or connects before it returns, trying again while {@code PYTEST_CLUSTER_JOIN_TIMEOUT} lasts; if it
   * still has no cluster, it logs one warning and refuses every request and lease with a message that
   * names the cluster's addresses, the settings and what to check. It never works on a share of the limits
   * of its own: the run's other JVMs, possibly on other machines, keep the whole limits in the cluster. A
   * worker that loses its cluster later waits, sending nothing, while it joins or connects again, within
   * the same bound, and refuses in the same way if it cannot.
   *
   * <p>Close it when the program is done (try-with-resources), or let it close itself: it does when the
   * JVM is stopped ({@code System.exit}, SIGTERM) and when the program's own threads are done ({@code main}
   * returned or threw and no other thread of the program runs), so the cluster's threads never keep a
   * JVM alive. Either way its counters are flushed to the cluster first.
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value
   */
  public static RateLimitCoordinator start(SettingsSource source) {
    RateLimitConfig runConfig = RateLimitConfig.from(source, RateLimitConfig.DEFAULT_API);
    ClusterSettings clusterSettings = ClusterSettings.from(source);
    SettingsReader reader = new SettingsReader(source);
    String workerId = reader.readOptional(WORKER_ID, ValueParsers.matching("[A-Za-z0-9._@-]{1,64}",
        "1 to 64 letters, digits, dots, dashes, underscores or @")).map(Setting::value).orElseGet(RateLimitCoordinator::defaultWorkerId);
    LeaseSettings leaseSettings = LeaseSettings.read(reader);
    reader.throwIfInvalid();
    if (runConfig.debug()) {
      Logs.debug(true); // PYTEST_DEBUG=true: the library's DEBUG messages come out (at INFO)
    }

    StatsRecorder recorder = new StatsRecorder();
    RateLimitCoordinator coordinator = switch (clusterSettings.mode()) {
      case MACHINE -> startOnThisMachine(clusterSettings, workerId, recorder, leaseSettings);
      case EMBEDDED -> startEmbedded(clusterSettings, workerId, recorder, leaseSettings);
      case LOCAL -> new RateLimitCoordinator(workerId, recorder, new LocalLimiterState(workerId, "local", recorder),
          CompletableFuture.completedFuture(ClusterConnector.connect(clusterSettings, ClusterSerialization::register)),
          new Reconnections(), leaseSettings, FreezeDetector.NEVER); // by choice: a run of one JVM
      case MEMBERS, CLIENT -> startConnected(clusterSettings, workerId, recorder, leaseSettings);
    };
    coordinator.endWithTheProgram();
    return coordinator;
  }

  /**
   * The default: the run directory is the run's state, with no cluster member; unless a standalone
   * {@link ClusterMember} declared the run's directory for its cluster, which the worker then joins.
   */
  private static RateLimitCoordinator startOnThisMachine(ClusterSettings settings, String workerId, StatsRecorder recorder,
      LeaseSettings leaseSettings) {
    RunDirectory directory = RunDirectory.of(settings);
    if (RunDirectoryState.hasMoved(directory)) {
      return startEmbedded(settings, workerId, recorder, leaseSettings);
    }
    RunDirectoryState state = new RunDirectoryState(directory, workerId, recorder);
    return new RateLimitCoordinator(state.workerId(), recorder, state,
        CompletableFuture.completedFuture(null), new Reconnections(), leaseSettings, FreezeDetector.jvm());
  }

  /**
   * An embedded worker starts on the run directory at once and joins the cluster in the background; the
   * run moves to the cluster when every worker on this machine has joined (see {@link SwitchingLimiterState}).
   */
  private static RateLimitCoordinator startEmbedded(ClusterSettings settings, String requestedWorkerId, StatsRecorder recorder,
      LeaseSettings leaseSettings) {
    RunDirectoryState interim = new RunDirectoryState(RunDirectory.of(settings), requestedWorkerId, recorder);
    String workerId = interim.workerId();
    Reconnections rejoined = new Reconnections();
    FreezeDetector freezes = FreezeDetector.jvm();
    SwitchingLimiterState state = new SwitchingLimiterState(interim, settings.joinTimeout().plusSeconds(20));
    CompletableFuture<ClusterConnection> connecting = new CompletableFuture<>();
    Thread join = new Thread(() -> {
      try {
        if (!interim.hasMoved()) { // a JVM that starts after the run moved waits for its member: no delay then
          state.awaitFirstRelease(JOIN_DELAY, FIRST_ANSWER_BOUND);
          Thread.sleep(JOIN_DELAY.toMillis());
        }
      } catch (InterruptedException e) {
        return;
      }
      long freezesBefore = freezes.freezes(); // a freeze while it joins counts: the member may have been dropped
      ClusterConnection connection = ClusterConnector.connect(settings, ClusterSerialization::register, false);
      connecting.complete(connection);
      if (state.isClosed()) {
        connection.close(); // the worker stopped while its member started
        return;
      }
      try {
        connection.instance().ifPresentOrElse(hz -> {
          ClusterLimiterState cluster = new ClusterLimiterState(hz, connection.displayName(), workerId, recorder);
          // the run's other forks go on in the cluster: a JVM that loses it joins again, or sends nothing
          state.joined(cluster, new FailoverLimiterState(cluster, why -> rejoin(settings, workerId, recorder, rejoined, connection),
              "joins the run's cluster again (through the run directory), with the whole limits", freezes, freezesBefore));
        }, () -> state.noCluster(connection.fallbackReason().orElse("no cluster")));
        LOG.debug("ratelimit-testkit: worker {} joined {} in {} ms", workerId, connection, connection.joinTime().toMillis());
      } catch (RuntimeException e) {
        LOG.warn("ratelimit-testkit: worker {} could not take its place in the run's cluster: {}", workerId, e.toString());
      }
    }, "ratelimit-cluster-join");
    join.setDaemon(true);
    join.start();
    return new RateLimitCoordinator(workerId, recorder, state, connecting, rejoined, leaseSettings, freezes);
  }

  /**
   * A new member of the run's cluster for a JVM that lost its own, or a state that refuses to guess. The
   * lost member is left first: one member per JVM, and never one that goes on with its own copy of the state.
   */
  private static LimiterState rejoin(ClusterSettings settings, String workerId, StatsRecorder recorder, Reconnections rejoined,
      ClusterConnection first) {
    leave(rejoined.latest().orElse(first));
    ClusterConnection again = ClusterConnector.connect(settings, ClusterSerialization::register, false);
    if (again.instance().isEmpty()) {
      String reason = again.fallbackReason().orElse("no cluster");
      return rejoined.refuse("ratelimit-testkit: this JVM lost the run's cluster and could not join it again (" + reason
          + "); the run's other JVMs go on there, so this one sends nothing rather than guess its share of the limits",
          "none: lost the run's cluster (" + reason + "); requests refused", workerId, recorder);
    }
    rejoined.add(again);
    return new ClusterLimiterState(again.instance().orElseThrow(), again.displayName(), workerId, recorder);
  }

  /**
   * Members and client mode: the run spans machines (or shares a cluster with other jobs), so no state of
   * this machine, the run directory included, can keep the limits with the JVMs elsewhere. The worker has
   * its cluster before its first request, or refuses every request with the reason; never a share of the
   * limits of its own.
   */
  private static RateLimitCoordinator startConnected(ClusterSettings settings, String workerId, StatsRecorder recorder,
      LeaseSettings leaseSettings) {
    Reconnections reconnections = new Reconnections();
    FreezeDetector freezes = FreezeDetector.jvm();
    long freezesBefore = freezes.freezes();
    ClusterConnection connection = connectWithin(settings);
    LimiterState state;
    if (connection.instance().isPresent()) {
      ClusterLimiterState cluster = new ClusterLimiterState(connection.instance().get(), connection.displayName(), workerId, recorder);
      state = guarded(cluster, settings, workerId, recorder, reconnections, connection, freezes, freezesBefore);
      LOG.debug("ratelimit-testkit: worker {} joined {} in {} ms", workerId, connection, connection.joinTime().toMillis());
    } else {
      String reason = connection.fallbackReason().orElse("no cluster");
      state = reconnections.refuse(NoCluster.message(settings, null, reason),
          NoCluster.coordination(settings, reason), workerId, recorder);
    }
    return new RateLimitCoordinator(workerId, recorder, state, CompletableFuture.completedFuture(connection), reconnections,
        leaseSettings, freezes);
  }

  /** {@code cluster}, connected again (within the join timeout) when it is lost, or refusing if it cannot be. */
  private static LimiterState guarded(ClusterLimiterState cluster, ClusterSettings settings, String workerId, StatsRecorder recorder,
      Reconnections reconnections, ClusterConnection first, FreezeDetector freezes, long freezesBefore) {
    return new FailoverLimiterState(cluster, why -> {
      leave(reconnections.latest().orElse(first)); // one instance per JVM: the lost one is left before another is made
      ClusterConnection again = connectWithin(settings);
      if (again.instance().isEmpty()) {
        String reason = again.fallbackReason().orElse("no cluster");
        return reconnections.refuse(NoCluster.message(settings, why, reason), NoCluster.coordination(settings, "lost, then " + reason),
            workerId, recorder);
      }
      reconnections.add(again);
      LOG.warn("ratelimit-testkit: worker {} is back in {} after losing it; it sends again", workerId, again);
      return new ClusterLimiterState(again.instance().get(), again.displayName(), workerId, recorder);
    }, "sends nothing while it " + NoCluster.verb(settings) + "s again (PYTEST_CLUSTER_JOIN_TIMEOUT, "
        + NoCluster.seconds(settings.joinTimeout()) + " s), and refuses every request if it cannot", freezes, freezesBefore);
  }

  /**
   * Stops a lost member or client at once, without a graceful leave: the others have dropped it, or will
   * now, and it must not run on with its own copy of the state (nor merge it back).
   */
  private static void leave(ClusterConnection lost) {
    if (lost == null) {
      return;
    }
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

  /**
   * Closes this coordinator when the JVM is stopped (a shutdown hook) and when the program's own threads
   * are done (Hazelcast's threads are not daemon threads and would keep the JVM alive).
   */
  private void endWithTheProgram() {
    shutdownHook = new Thread(this::close, "ratelimit-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    // an embedded member starts in the background: watched from when it exists; so is any made later
    connection.thenAccept(this::watch);
    reconnections.watch = this::watch;
  }

  private void watch(ClusterConnection joined) {
    if (joined != null) {
      joined.instance().ifPresent(hz -> exitWatches.add(ExitWatcher.watch(hz.getName(), this::close)));
    }
  }

  /** Host name and process id, e.g. {@code 4242@ci-runner}. */
  static String defaultWorkerId() {
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

  /**
   * How this JVM shares its limits: a cluster member or client, the run directory, local, or none (it
   * refuses every request, with the reason).
   */
  public String coordination() {
    RefusingLimiterState refusal = reconnections.refusal;
    if (refusal != null) {
      return refusal.coordination();
    }
    if (state instanceof SwitchingLimiterState switching && !switching.inCluster()) {
      return switching.coordination();
    }
    if (state instanceof RunDirectoryState onThisMachine) {
      return onThisMachine.coordination();
    }
    ClusterConnection joined = reconnections.latest().orElse(connection.getNow(null));
    return joined == null ? "local" : joined.toString();
  }

  /**
   * Workers in the run's cluster now; without a cluster, the run's JVMs on this machine (machine mode) or
   * 1 (local mode).
   */
  public int clusterSize() {
    if (state instanceof RunDirectoryState onThisMachine) {
      return onThisMachine.participants();
    }
    ClusterConnection joined = reconnections.latest().orElse(connection.getNow(null));
    return joined == null ? 1 : joined.clusterSize();
  }

  /** This JVM's worker id in the statistics. */
  public String workerId() {
    return workerId;
  }

  /**
   * A new client that keeps to {@code config}'s limits, shared with every client of this coordinator. All
   * clients made here, in the whole JVM, share one connection pool and one dispatcher (see
   * {@link SharedOkHttp}), so connections are reused across tests and APIs.
   */
  public OkHttpClient newClient(RateLimitConfig config) {
    expectRequests(); // before OkHttp's own start, which takes over a second when forks start together
    return wrap(SharedOkHttp.client(), config);
  }

  /** This JVM is about to send: its member's start, in the background, waits for the first answer (bounded). */
  private void expectRequests() {
    if (state instanceof SwitchingLimiterState switching) {
      switching.expectRequests();
    }
  }

  /**
   * {@code client} with the limiter added: a client sharing its connection pool, dispatcher, timeouts,
   * interceptors and TLS set-up, plus the retry interceptor (last application interceptor) and the
   * admission interceptor (first network interceptor). Synchronous and asynchronous ({@code enqueue}) calls
   * are limited and counted alike. Wrapping a client that is already wrapped replaces its limiter (the
   * latest {@code config} holds) instead of adding a second one: limits never apply twice.
   */
  public OkHttpClient wrap(OkHttpClient client, RateLimitConfig config) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(config, "config");
    expectRequests();
    if (config.debug()) {
      Logs.debug(true);
    }
    if (config.debug() && described.add(config.apiName())) {
      LOG.info("{}\n  coordination: {}", config.describe(), state.statistics().coordination());
    }
    if (config.disableParallel() && config.rateLimited()) {
      switchToSequential("PYTEST_DISABLE_PARALLEL=true");
    }
    StatsRecorder.Counters counters = recorder.api(config.apiName());
    boolean enforce = config.rateLimited();
    OkHttpClient.Builder builder = client.newBuilder();
    builder.interceptors().removeIf(RetryOn429Interceptor.class::isInstance); // already wrapped: one limiter, not two
    builder.networkInterceptors().removeIf(AdmissionInterceptor.class::isInstance);
    builder.eventListenerFactory(RateLimitedClients.testAttribution().remembering(client.eventListenerFactory())); // which test made each call
    builder.interceptors().add(new RetryOn429Interceptor(recorder, counters, retry(config, counters), enforce ? state : null));
    builder.networkInterceptors().add(0, new AdmissionInterceptor(state, limits(config), config.permitTimeout(), recorder, counters,
        enforce, new SequentialSwitch(state, config.errorThreshold()), attemptGate, pacingBoard, config.maxBackoff(), freezes,
        SharedOkHttp.warmUp()));
    return builder.build();
  }

  /**
   * The API's resilience4j {@link Retry}, made anew for each wrap (the latest configuration holds) and kept
   * in {@link #retryRegistry()} under {@code ratelimit-<api>}; its events feed the API's counters.
   */
  private Retry retry(RateLimitConfig config, StatsRecorder.Counters counters) {
    RetryConfig base = config.retryConfig().orElseGet(() -> RetryPolicies.of(config));
    RetryConfig.Builder<Object> effective = RetryConfig.from(base).failAfterMaxAttempts(false); // the caller gets the last response
    if (!config.rateLimited()) {
      effective.maxAttempts(1); // rate limiting off: plain clients, counted, never retried
    }
    String name = "ratelimit-" + config.apiName();
    retries.remove(name);
    Retry retry = retries.retry(name, effective.build());
    retry.getEventPublisher()
        .onRetry(event -> counters.retry(event.getWaitInterval().toNanos()))
        .onSuccess(event -> counters.succeededAfterRetry());
    return retry;
  }

  /**
   * The resilience4j {@link Retry} of each API this coordinator's clients call, by name
   * ({@code ratelimit-<api>}): for its events and metrics (e.g. with resilience4j-micrometer).
   */
  public RetryRegistry retryRegistry() {
    return retries;
  }

  /** The limits to enforce: the whole limits, wherever the state is (never a share guessed from a worker count). */
  private static ApiLimits limits(RateLimitConfig config) {
    Duration floor = config.rateLimitDelay();
    return new ApiLimits(config.apiName(), config.maxConcurrentRequests(), floor, config.adaptiveDelay(), widest(floor, config.maxBackoff()));
  }

  /**
   * How far refusals may widen the spacing: eight times the floor, at least 100 ms above it, and never
   * more than {@code PYTEST_MAX_BACKOFF} (nor less than the floor).
   */
  static Duration widest(Duration floor, Duration maxBackoff) {
    Duration wide = floor.multipliedBy(8).compareTo(floor.plusMillis(100)) > 0 ? floor.multipliedBy(8) : floor.plusMillis(100);
    Duration capped = wide.compareTo(maxBackoff) > 0 ? maxBackoff : wide;
    return capped.compareTo(floor) < 0 ? floor : capped;
  }

  /**
   * Each API's effective spacing as this JVM last saw it: the configured delay, or wider while the API
   * refuses requests (see {@code PYTEST_ADAPTIVE_DELAY}).
   */
  public Map<String, Duration> effectiveDelays() {
    return pacingBoard.effectiveDelays();
  }

  /**
   * What each API's refusals taught the run, as far as this JVM has seen: the delay between starts the API
   * needed above its configured one, kept as the floor for the rest of the run (see
   * {@code PYTEST_ADAPTIVE_DELAY}). APIs that taught nothing are absent.
   */
  public Map<String, LearnedDelay> learnedDelays() {
    return pacingBoard.learnedDelays();
  }

  /** What the limiter did, merged over every worker sharing this coordinator's state. */
  public RateLimitStats statistics() {
    return state.statistics();
  }

  /** Whether the run is parallel or sequential, and since when and why. */
  public RunMode runMode() {
    return state.runMode();
  }

  /**
   * Switches the whole run to sequential: from now on one request is in flight at a time. The first
   * switch wins; its time and reason are kept.
   */
  public RunMode switchToSequential(String reason) {
    return state.switchToSequential(RunMode.sequentialSince(java.time.Instant.now(), reason));
  }

  /**
   * Takes one of {@code cap} permits named {@code name}, shared by every worker of the run (by this JVM
   * only in local mode), waiting at most {@code maxWait}. The cap is given per call: holders that pass
   * a smaller cap wait for the others to finish, which is how a test waits to run alone.
   *
   * @return the permit, to close when done; empty when none came free within {@code maxWait}
   * @throws InterruptedIOException when the thread is interrupted while waiting
   */
  public Optional<SharedPermit> acquire(String name, int cap, Duration maxWait) throws InterruptedIOException {
    if (cap < 1) {
      throw new IllegalArgumentException("cap must be at least 1: " + cap);
    }
    return state.acquirePermit(name, cap, maxWait, WaitCondition.NEVER).map(permit -> permit::release);
  }

  /** How many permits named {@code name} are held now, across the run. */
  public int permitsHeld(String name) {
    return state.permitsHeld(name);
  }

  /**
   * Shares a document of this worker's with the run (e.g. its suite timing, as JSON), replacing its
   * previous document of that kind; for integrations such as the JUnit extension's report.
   */
  public void publish(String kind, String document) {
    state.publish(kind, document);
  }

  /** Every worker's latest document of {@code kind}, by worker id. */
  public Map<String, String> published(String kind) {
    return state.published(kind);
  }

  /** True for the first caller in the whole run to claim {@code key}, false for every later one. */
  public boolean claim(String key) {
    return state.claim(key);
  }

  /**
   * Leases on shared test resources, across every worker of the run, held in the name of {@code owner}
   * (shown as {@code workerId/owner}, e.g. the test's name). See {@link ResourceLeases}.
   */
  public ResourceLeases leases(String owner) {
    return leases.forOwner(Objects.requireNonNull(owner, "owner"));
  }

  /**
   * Declares a pool of resources in code, for {@link ResourceLeases#acquireFromPool(String, int)}. A pool
   * of the same name in {@code PYTEST_RESOURCE_POOLS} wins, so CI can point tests at other resources.
   *
   * @return the pool in force under that name
   * @throws IllegalArgumentException when the name is already declared in code with other items
   */
  public ResourcePool declarePool(ResourcePool pool) {
    return leases.declare(Objects.requireNonNull(pool, "pool"));
  }

  /** This worker's waits for leases, by resource (or {@code pool <name>}). */
  public Map<String, LeaseWaitStats> leaseWaits() {
    return leases.waitStatistics();
  }

  /**
   * This worker's counters per test (all APIs together), by the name the test integration gave it (see
   * {@link io.ratelimit.core.spi.TestAttribution}); empty outside such an integration.
   */
  public Map<String, ApiStats> testStatistics() {
    return recorder.testSnapshot();
  }

  /** This worker's own counters, per API, without asking the cluster. */
  public Map<String, ApiStats> localStatistics() {
    return recorder.snapshot();
  }

  /** True once {@link #close()} has run. */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Flushes this worker's counters, leaves any cluster and releases what this JVM holds, within bounds
   * (requests on the wire: 2 s; leaving the cluster: 15 s); idempotent. Clients of this coordinator send
   * nothing after it.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      if (Thread.currentThread() == shutdownHook) {
        awaitClosed(); // closing elsewhere (the exit watcher): the JVM must not halt halfway through the flush
      }
      return;
    }
    try {
      exitWatches.forEach(ExitWatcher.Watch::close);
      int unanswered = attemptGate.closeAndDrain(DRAIN_BOUND);
      if (unanswered > 0) {
        LOG.warn("ratelimit-testkit: worker {} stops with {} request(s) still unanswered after {} ms; the report counts them "
            + "as sent, without their outcome", workerId, unanswered, DRAIN_BOUND.toMillis());
      }
      leases.close();
      state.close();
      // a member still starting is left as soon as it has started: nothing of this JVM's outlives it
      connection.thenAccept(joined -> {
        if (joined != null) {
          joined.close();
        }
      });
      reconnections.closeAll();
      forgetShutdownHook();
    } finally {
      closeDone.countDown();
    }
  }

  private void awaitClosed() {
    try {
      closeDone.await(CLOSE_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A closed coordinator needs no hook; dropping it lets the coordinator be collected. */
  private void forgetShutdownHook() {
    Thread hook = shutdownHook;
    if (hook != null && hook != Thread.currentThread()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is stopping: the hook runs close() again, which does nothing
      }
    }
  }
}
