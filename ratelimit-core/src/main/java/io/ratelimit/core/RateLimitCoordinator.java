package io.ratelimit.core;

import io.ratelimit.core.internal.AdmissionInterceptor;
import io.ratelimit.core.internal.ApiLimits;
import io.ratelimit.core.internal.LimiterState;
import io.ratelimit.core.internal.LocalLimiterState;
import io.ratelimit.core.internal.RetryDelays;
import io.ratelimit.core.internal.RetryOn429Interceptor;
import io.ratelimit.core.internal.SequentialSwitch;
import io.ratelimit.core.internal.StatsRecorder;
import io.ratelimit.core.internal.WaitCondition;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the limiter state that rate-limited clients share and the counters they feed. Clients made by
 * one coordinator keep to the same limits together; {@link #local()} makes an isolated one, and
 * {@link RateLimitedClients} uses one per JVM.
 */
public final class RateLimitCoordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RateLimitCoordinator.class);

  private final String workerId;
  private final StatsRecorder recorder;
  private final LimiterState state;
  private final Set<String> described = ConcurrentHashMap.newKeySet();

  private RateLimitCoordinator(String workerId, StatsRecorder recorder, LimiterState state) {
    this.workerId = workerId;
    this.recorder = recorder;
    this.state = state;
  }

  /** A coordinator whose limits hold within this JVM only, with its own counters. */
  public static RateLimitCoordinator local() {
    String workerId = defaultWorkerId();
    StatsRecorder recorder = new StatsRecorder();
    return new RateLimitCoordinator(workerId, recorder, new LocalLimiterState(workerId, "local", recorder));
  }

  /** This JVM's worker id: {@code PYTEST_WORKER_ID} when set, else host name and process id. */
  static String defaultWorkerId() {
    String fromEnv = System.getenv("PYTEST_WORKER_ID");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.trim();
    }
    return ManagementFactory.getRuntimeMXBean().getName(); // pid@host
  }

  /** This JVM's worker id in the statistics. */
  public String workerId() {
    return workerId;
  }

  /** A new client that keeps to {@code config}'s limits, shared with every client of this coordinator. */
  public OkHttpClient newClient(RateLimitConfig config) {
    return wrap(new OkHttpClient(), config);
  }

  /**
   * {@code client} with the limiter added: a client sharing its connection pool, dispatcher, timeouts,
   * interceptors and TLS set-up, plus the retry interceptor (last application interceptor) and the
   * admission interceptor (first network interceptor).
   */
  public OkHttpClient wrap(OkHttpClient client, RateLimitConfig config) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(config, "config");
    if (config.debug() && described.add(config.apiName())) {
      LOG.info("{}\n  coordination: {}", config.describe(), state.statistics().coordination());
    }
    if (config.disableParallel() && config.rateLimited()) {
      state.switchToSequential("PYTEST_DISABLE_PARALLEL=true");
    }
    StatsRecorder.Counters counters = recorder.api(config.apiName());
    boolean enforce = config.rateLimited();
    int maxRetries = enforce ? config.maxRetries() : 0;
    OkHttpClient.Builder builder = client.newBuilder();
    builder.interceptors().add(new RetryOn429Interceptor(counters, maxRetries, new RetryDelays(config.baseBackoff(), config.maxBackoff())));
    builder.networkInterceptors().add(0, new AdmissionInterceptor(state, ApiLimits.of(config), config.permitTimeout(), counters,
        enforce, new SequentialSwitch(state, config.errorThreshold())));
    return builder.build();
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
    return state.switchToSequential(reason);
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

  /** Leaves any cluster and releases what this JVM holds; idempotent. */
  @Override
  public void close() {
    state.close();
  }
}
