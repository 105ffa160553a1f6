package io.ratelimit.core;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.ratelimit.core.internal.AdmissionInterceptor;
import io.ratelimit.core.internal.AttemptGate;
import io.ratelimit.core.internal.ApiLimits;
import io.ratelimit.core.internal.FailoverLimiterState;
import io.ratelimit.core.internal.LeaseBroker;
import io.ratelimit.core.internal.LeaseSettings;
import io.ratelimit.core.internal.LimiterState;
import io.ratelimit.core.internal.LocalLimiterState;
import io.ratelimit.core.internal.Logs;
import io.ratelimit.core.internal.RetryOn429Interceptor;
import io.ratelimit.core.internal.SequentialSwitch;
import io.ratelimit.core.internal.StatsRecorder;
import io.ratelimit.core.internal.TestAttribution;
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
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

  private final String workerId;
  private final StatsRecorder recorder;
  private final LimiterState state;
  private final ClusterConnection connection;
  private final int limitsDivisor;
  private final LeaseBroker leases;
  private final Set<String> described = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AttemptGate attemptGate = new AttemptGate();
  private final RetryRegistry retries = RetryRegistry.ofDefaults();

  private RateLimitCoordinator(String workerId, StatsRecorder recorder, LimiterState state, ClusterConnection connection,
      int limitsDivisor, LeaseSettings leaseSettings) {
    this.workerId = workerId;
    this.recorder = recorder;
    this.state = state;
    this.connection = connection;
    this.limitsDivisor = limitsDivisor;
    this.leases = new LeaseBroker(state.leases(), workerId, leaseSettings);
  }

  /** A coordinator whose limits hold within this JVM only, with its own counters; no cluster. */
  public static RateLimitCoordinator local() {
    String workerId = defaultWorkerId();
    StatsRecorder recorder = new StatsRecorder();
    return new RateLimitCoordinator(workerId, recorder, new LocalLimiterState(workerId, "local", recorder), null, 1,
        LeaseSettings.DEFAULTS);
  }

  /**
   * A coordinator sharing its limits, counters and run mode with every worker of the run, through the
   * cluster {@code source}'s {@code PYTEST_CLUSTER_*} settings describe (an embedded cluster of the build's
   * JVMs unless told otherwise). When no cluster can be had, it logs one warning and works within this JVM,
   * with each API's limits divided by {@code PYTEST_WORKERS} (or the number of processors when unset).
   * A shutdown hook flushes the counters and leaves the cluster if the JVM ends without {@link #close()}.
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
    ClusterConnection connection = ClusterConnector.connect(clusterSettings, ClusterSerialization::register);
    int workers = runConfig.workers().orElse(Runtime.getRuntime().availableProcessors());
    // if the cluster is lost later (a client whose members stop), the state fails over to this JVM's own
    LimiterState state = connection.instance()
        .<LimiterState>map(hz -> new FailoverLimiterState(new ClusterLimiterState(hz, connection.clusterName(), workerId, recorder),
            why -> new LocalLimiterState(workerId, why, recorder), workers))
        .orElseGet(() -> new LocalLimiterState(workerId, connection.toString(), recorder));
    int divisor = connection.fellBack() ? workers : 1;
    RateLimitCoordinator coordinator = new RateLimitCoordinator(workerId, recorder, state, connection, divisor, leaseSettings);
    Runtime.getRuntime().addShutdownHook(new Thread(coordinator::close, "ratelimit-shutdown"));
    LOG.debug("ratelimit-testkit: worker {} joined {} in {} ms", workerId, connection, connection.joinTime().toMillis());
    return coordinator;
  }

  /** Host name and process id, e.g. {@code 4242@ci-runner}. */
  static String defaultWorkerId() {
    return ManagementFactory.getRuntimeMXBean().getName();
  }

  /** How this JVM shares its limits: a cluster member or client, or local (with the fallback's reason). */
  public String coordination() {
    return connection == null ? "local" : connection.toString();
  }

  /** Workers in the run's cluster now (1 in local mode). */
  public int clusterSize() {
    return connection == null ? 1 : connection.clusterSize();
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
    return wrap(SharedOkHttp.client(), config);
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
    builder.eventListenerFactory(TestAttribution.remembering(client.eventListenerFactory())); // which test made each call
    builder.interceptors().add(new RetryOn429Interceptor(recorder, counters, retry(config, counters)));
    builder.networkInterceptors().add(0, new AdmissionInterceptor(state, limits(config), config.permitTimeout(), recorder, counters,
        enforce, new SequentialSwitch(state, config.errorThreshold()), attemptGate));
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

  /** The limits to enforce: in a fallback to local mode, this JVM's share of them. */
  private ApiLimits limits(RateLimitConfig config) {
    return new ApiLimits(config.apiName(), Math.max(1, config.maxConcurrentRequests() / limitsDivisor),
        config.rateLimitDelay().multipliedBy(limitsDivisor));
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
   * {@link io.ratelimit.core.internal.TestAttribution}); empty outside such an integration.
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

  /** Leaves any cluster and releases what this JVM holds; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      int unanswered = attemptGate.closeAndDrain(DRAIN_BOUND);
      if (unanswered > 0) {
        LOG.warn("ratelimit-testkit: worker {} stops with {} request(s) still unanswered after {} ms; the report counts them "
            + "as sent, without their outcome", workerId, unanswered, DRAIN_BOUND.toMillis());
      }
      state.close();
      if (connection != null) {
        connection.close();
      }
    }
  }
}
