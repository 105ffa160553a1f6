package io.ratelimit.core;

import io.github.resilience4j.retry.RetryRegistry;
import io.ratelimit.core.internal.admission.ClientDecorator;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.lifecycle.Startup;
import io.ratelimit.core.internal.lifecycle.Worker;
import io.ratelimit.settings.SettingsSource;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import okhttp3.OkHttpClient;

/**
 * Owns the limiter state that rate-limited clients share and the counters they feed. Clients made by
 * one coordinator keep to the same limits together. {@link #start} joins the run's cluster so the limits
 * hold across all worker JVMs; {@link #local()} makes an isolated one; {@link RateLimitedClients} holds
 * one per JVM.
 */
public final class RateLimitCoordinator implements AutoCloseable {
  /** The worker: its state, counters, leases and fences, from its start to its end. */
  private final Worker worker;
  private final ClientDecorator clients;

  private RateLimitCoordinator(Worker worker) {
    this.worker = worker;
    this.clients = new ClientDecorator(worker.state(), worker.recorder(), worker.attemptGate(), worker.freezes(), SharedOkHttp::warmUp,
        RateLimitedClients.testAttribution(), worker.starts());
  }

  /** A coordinator whose limits hold within this JVM only, with its own counters; no cluster. */
  public static RateLimitCoordinator local() {
    return new RateLimitCoordinator(Startup.local());
  }

  /**
   * A coordinator sharing its limits, counters and run mode with every worker of the run, as
   * {@code source}'s {@code PYTEST_CLUSTER_*} settings say. By default ({@code machine}) through the run
   * directory, exact across the JVMs of this machine, with no cluster member to start. An {@code embedded},
   * {@code members} or {@code client} worker joins or connects before it returns (the run's state never
   * moves: it is where it starts), trying again while {@code PYTEST_CLUSTER_JOIN_TIMEOUT} lasts; if it
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
    SharedOkHttp.prepareInBackground(); // OkHttp's set-up and warm-up exchange run while the worker joins its run
    return new RateLimitCoordinator(Startup.start(source));
  }

  /**
   * How this JVM shares its limits: a cluster member or client, the run directory, local, or none (it
   * refuses every request, with the reason).
   */
  public String coordination() {
    return worker.coordination();
  }

  /**
   * Workers in the run's cluster now; without a cluster, the run's JVMs on this machine (machine mode) or
   * 1 (local mode).
   */
  public int clusterSize() {
    return worker.clusterSize();
  }

  /** This JVM's worker id in the statistics. */
  public String workerId() {
    return worker.workerId();
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
    return clients.decorate(Objects.requireNonNull(client, "client"), Objects.requireNonNull(config, "config"));
  }

  /**
   * The resilience4j {@link io.github.resilience4j.retry.Retry} of each API this coordinator's clients call,
   * by name ({@code ratelimit-<api>}): for its events and metrics (e.g. with resilience4j-micrometer).
   */
  public RetryRegistry retryRegistry() {
    return clients.retries();
  }

  /**
   * Each API's effective spacing as this JVM last saw it: the configured delay, or wider while the API
   * refuses requests (see {@code PYTEST_ADAPTIVE_DELAY}).
   */
  public Map<String, Duration> effectiveDelays() {
    return clients.pacing().effectiveDelays();
  }

  /**
   * How long each API's request starts have been paused so far by {@code Retry-After} or a spent quota, as
   * this JVM heard of the pauses; APIs never paused are absent. The report leaves these seconds out when it
   * reads the rate an API took.
   */
  public Map<String, Duration> pausedTime() {
    return clients.pacing().pausedSoFar();
  }

  /**
   * What each API's refusals taught the run, as far as this JVM has seen: the delay between starts the API
   * needed above its configured one, kept as the floor for the rest of the run (see
   * {@code PYTEST_ADAPTIVE_DELAY}). APIs that taught nothing are absent.
   */
  public Map<String, LearnedDelay> learnedDelays() {
    return clients.pacing().learnedDelays();
  }

  /** What the limiter did, merged over every worker sharing this coordinator's state. */
  public RateLimitStats statistics() {
    return state().records().statistics();
  }

  /** Whether the run is parallel or sequential, and since when and why. */
  public RunMode runMode() {
    return state().modes().runMode();
  }

  /**
   * Switches the whole run to sequential: from now on one request is in flight at a time. The first
   * switch wins; its time and reason are kept.
   */
  public RunMode switchToSequential(String reason) {
    return state().modes().switchToSequential(RunMode.sequentialSince(java.time.Instant.now(), reason));
  }

  /**
   * Takes one of {@code cap} permits named {@code name}, shared by every worker of the run (by this JVM
   * only in local mode), waiting at most {@code maxWait}. The cap is given per call: holders that pass
   * a smaller cap wait for the others to finish, which is how a test waits to run alone.
   *
   * @return the permit, to close when done; empty when none came free within {@code maxWait}
   * @throws InterruptedIOException when the thread is interrupted while waiting
   */
  public Optional<SharedPermit> acquire(PermitName name, int cap, Duration maxWait) throws InterruptedIOException {
    if (cap < 1) {
      throw new IllegalArgumentException("cap must be at least 1: " + cap);
    }
    return state().permits().acquirePermit(Objects.requireNonNull(name, "name"), cap, maxWait, WaitCondition.NEVER)
        .map(permit -> permit::release);
  }

  /** How many permits named {@code name} are held now, across the run. */
  public int permitsHeld(PermitName name) {
    return state().permits().permitsHeld(Objects.requireNonNull(name, "name"));
  }

  /**
   * Shares a document of this worker's with the run (e.g. its suite timing), replacing its previous document
   * of that kind; for integrations such as the JUnit extension's report.
   */
  public <T> void publish(DocumentKind<T> kind, T document) {
    state().records().publish(kind.name(), kind.encode(document));
  }

  /** Every worker's latest document of {@code kind}, by worker id. */
  public <T> Map<String, T> published(DocumentKind<T> kind) {
    Map<String, T> byWorker = new java.util.TreeMap<>();
    state().records().published(kind.name()).forEach((worker, text) -> byWorker.put(worker, kind.decode(text)));
    return byWorker;
  }

  /** True for the first caller in the whole run to claim {@code key}, false for every later one. */
  public boolean claim(String key) {
    return state().records().claim(key);
  }

  /**
   * Leases on shared test resources, across every worker of the run, held in the name of {@code owner}
   * (shown as {@code workerId/owner}, e.g. the test's name). See {@link ResourceLeases}.
   */
  public ResourceLeases leases(String owner) {
    return worker.leases().forOwner(Objects.requireNonNull(owner, "owner"));
  }

  /**
   * Declares a pool of resources in code, for {@link ResourceLeases#acquireFromPool(String, int)}. A pool
   * of the same name in {@code PYTEST_RESOURCE_POOLS} wins, so CI can point tests at other resources.
   *
   * @return the pool in force under that name
   * @throws IllegalArgumentException when the name is already declared in code with other items
   */
  public ResourcePool declarePool(ResourcePool pool) {
    return worker.leases().declare(Objects.requireNonNull(pool, "pool"));
  }

  /** This worker's waits for leases, by resource (or {@code pool <name>}). */
  public Map<String, LeaseWaitStats> leaseWaits() {
    return worker.leases().waitStatistics();
  }

  /**
   * This worker's counters per test (all APIs together), by the name the test integration gave it (see
   * {@link io.ratelimit.core.spi.TestAttribution}); empty outside such an integration.
   */
  public Map<String, ApiStats> testStatistics() {
    return worker.recorder().testSnapshot();
  }

  /** This worker's own counters, per API, without asking the cluster. */
  public Map<String, ApiStats> localStatistics() {
    return worker.recorder().snapshot();
  }

  /** True once {@link #close()} has run. */
  public boolean isClosed() {
    return worker.isClosed();
  }

  /**
   * Flushes this worker's counters, leaves any cluster and releases what this JVM holds, within bounds
   * (requests on the wire: 2 s; leaving the cluster: 15 s); idempotent. Clients of this coordinator send
   * nothing after it.
   */
  @Override
  public void close() {
    worker.close();
  }

  private LimiterState state() {
    return worker.state();
  }
}
