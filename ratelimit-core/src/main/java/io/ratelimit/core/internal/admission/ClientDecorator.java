package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.jvm.AttemptGate;
import io.ratelimit.core.internal.jvm.FreezeDetector;
import io.ratelimit.core.internal.jvm.LazyTls;
import io.ratelimit.core.internal.jvm.OkHttpWarmUp;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.pacing.PacingBoard;
import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.core.internal.retry.RetryOn429Interceptor;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RetryPolicies;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.spi.TestAttribution;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.SocketFactory;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;

/**
 * Adds a worker's limiter to OkHttp clients: the retry interceptor (last application interceptor) and the
 * admission interceptor (first network interceptor), both on the worker's state, counters and fences, and
 * an event listener that remembers which test made each call. Wrapping a client already wrapped replaces
 * its limiter (the latest configuration holds): limits never apply twice.
 */
public final class ClientDecorator {
  private static final Logger LOG = Logs.get(ClientDecorator.class);

  private final LimiterState state;
  private final StatsRecorder recorder;
  private final AttemptGate attemptGate;
  private final FreezeDetector freezes;
  private final Supplier<OkHttpWarmUp> warmUp;
  private final TestAttribution attribution;
  private final StartTimes starts;
  /** Notes each start again when its bytes reach the socket. */
  private final LeavingWrites leavingWrites = new LeavingWrites();
  private final RetryRegistry retries = RetryRegistry.ofDefaults();
  private final PacingBoard pacingBoard = new PacingBoard();
  private final Set<String> described = ConcurrentHashMap.newKeySet();

  /**
   * Decorates clients with the limiter of the worker whose state, counters and fences these are.
   *
   * @param warmUp the JVM's warm-up exchange (started on first use), which a cold JVM's first request awaits
   * @param attribution which test each call belongs to (the JVM's)
   * @param starts when each API's latest request left, as the run's JVMs on this machine share it
   */
  public ClientDecorator(LimiterState state, StatsRecorder recorder, AttemptGate attemptGate, FreezeDetector freezes,
      Supplier<OkHttpWarmUp> warmUp, TestAttribution attribution, StartTimes starts) {
    this.starts = starts;
    this.warmUp = warmUp;
    this.attribution = attribution;
    this.state = state;
    this.recorder = recorder;
    this.attemptGate = attemptGate;
    this.freezes = freezes;
  }

  /** {@code client} with the limiter {@code config} describes. */
  public OkHttpClient decorate(OkHttpClient client, RateLimitConfig config) {
    if (config.debug()) {
      Logs.debug(true);
      if (described.add(config.apiName())) {
        LOG.info("{}\n  coordination: {}", config.describe(), state.records().statistics().coordination());
      }
    }
    if (config.disableParallel() && config.rateLimited()) {
      state.modes().switchToSequential(io.ratelimit.core.RunMode.sequentialSince(java.time.Instant.now(), "PYTEST_DISABLE_PARALLEL=true"));
    }
    StatsRecorder.Counters counters = recorder.api(config.apiName());
    boolean enforce = config.rateLimited();
    OkHttpClient.Builder builder = LazyTls.forPinning(client, client.newBuilder());
    builder.interceptors().removeIf(RetryOn429Interceptor.class::isInstance); // already wrapped: one limiter, not two
    builder.networkInterceptors().removeIf(AdmissionInterceptor.class::isInstance);
    EventListener.Factory listeners = attribution.remembering(StartNoting.without(client.eventListenerFactory())); // which test made each call
    builder.eventListenerFactory(enforce ? StartNoting.around(listeners, starts, config.apiName(), leavingWrites) : listeners);
    SocketFactory sockets = LeavingWrites.without(client.socketFactory());
    builder.socketFactory(enforce ? leavingWrites.around(sockets) : sockets); // a start is noted again when its bytes leave
    builder.interceptors().add(new RetryOn429Interceptor(recorder, counters, retry(config, counters), enforce ? state : null,
        config.apiName(), pacingBoard));
    builder.networkInterceptors().add(0, new AdmissionInterceptor(state, limits(config), config.permitTimeout(), recorder, counters,
        enforce, new SequentialSwitch(state, config.errorThreshold()), attemptGate, pacingBoard, config.maxBackoff(), freezes,
        warmUp.get(), starts));
    return builder.build();
  }

  /**
   * The API's resilience4j {@link Retry}, made anew for each wrap (the latest configuration holds) and kept
   * in {@link #retries()} under {@code ratelimit-<api>}; its events feed the API's counters.
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

  /** The resilience4j retries of the APIs of the clients decorated here, by name ({@code ratelimit-<api>}). */
  public RetryRegistry retries() {
    return retries;
  }

  /** What each API's pacing is, and what its refusals taught, as this JVM last saw it. */
  public PacingBoard pacing() {
    return pacingBoard;
  }

  /** The limits to enforce: the whole limits, wherever the state is (never a share guessed from a worker count). */
  static ApiLimits limits(RateLimitConfig config) {
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
}
