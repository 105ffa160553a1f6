package io.ratelimit.core.internal.retry;

import io.ratelimit.core.RateLimitExhaustedException;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.core.internal.pacing.PacingBoard;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.waits.Waits;
import io.github.resilience4j.retry.Retry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Application interceptor: counts the logical request and retries it as a resilience4j {@link Retry}
 * decides (by default after a 429 or 503, waiting as {@link RetryDelays} says). resilience4j decides
 * whether and how long (its asynchronous context, which leaves the waiting to the caller), publishes its
 * events (which feed the statistics) and keeps its metrics; the wait is this class's own, so
 * {@code Call.cancel()} ends it within 20 ms. No permit is held while it waits: the permit belongs to the
 * attempt and is released when the response is closed, before the wait. When retries run out, the last
 * response is returned as an ordinary one, and the test that made the call hears of it
 * ({@link io.ratelimit.core.spi.TestAttribution#throttled}). Exceptions pass through untouched. A limiter that refuses to send
 * (no cluster could be had) fails the call here, before a connection to the server is opened.
 */
public final class RetryOn429Interceptor implements Interceptor {
  private final StatsRecorder recorder;
  private final StatsRecorder.Counters counters;
  private final Retry retry;
  private final Predicate<Response> retried;
  private final LimiterState state;
  private final String api;
  private final PacingBoard board;

  /**
   * @param recorder this JVM's counters, for the per-test ones
   * @param counters the API's counters (requests and exhausted ones; the retry's events feed the rest)
   * @param retry the API's retry, its events already wired to {@code counters}
   * @param state the limiter state, asked whether it refuses to send; null when rate limiting is off
   * @param api the API's name
   * @param board this JVM's view of the pacing, for the effective delay a throttled call is reported with
   */
  public RetryOn429Interceptor(StatsRecorder recorder, StatsRecorder.Counters counters, Retry retry, LimiterState state, String api,
      PacingBoard board) {
    this.state = state;
    this.api = api;
    this.board = board;
    this.recorder = recorder;
    this.counters = counters;
    this.retry = retry;
    this.retried = retry.getRetryConfig().getResultPredicate() == null ? r -> false : retry.getRetryConfig().getResultPredicate();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    if (state != null) {
      java.util.Optional<String> refusal = state.refusal();
      if (refusal.isPresent()) {
        throw new IllegalStateException(refusal.get()); // as the admission would: nothing sent, no connection opened
      }
    }
    StatsRecorder.Counters test = recorder.test(chain.call());
    counters.request();
    test.request();
    Request request = chain.request();
    WaitCondition cancelled = chain.call()::isCanceled;
    Retry.AsyncContext<Response> context = retry.asyncContext();
    for (int attempts = 1; ; attempts++) {
      Response response = chain.proceed(request);
      long waitMillis = replayable(request) ? context.onResult(response) : -1;
      if (waitMillis < 0) {
        context.onComplete();
        if (retried.test(response)) {
          counters.exhausted(); // retries ran out (or the body cannot be sent twice): the caller gets the 429
          test.exhausted();
          if (state != null && !RateLimitsExpected.of(request)) { // off: plain clients, whose 429s are the test's own business
            RateLimitedClients.testAttribution().throttled(chain.call(), exhausted(request, response, attempts));
          }
        }
        return response;
      }
      response.close(); // frees the attempt's permit before waiting
      test.retry(TimeUnit.MILLISECONDS.toNanos(waitMillis));
      Waits.sleep(Duration.ofMillis(waitMillis), cancelled);
    }
  }

  private RateLimitExhaustedException exhausted(Request request, Response response, int attempts) {
    return new RateLimitExhaustedException(api, RateLimitExhaustedException.Reason.RETRIES_EXHAUSTED,
        request.method() + " " + request.url().redact(), attempts, response.code(),
        RetryDelays.retryAfter(response.header("Retry-After"), java.time.Instant.now()).orElse(null), board.effectiveDelay(api).orElse(null));
  }

  /** A one-shot or duplex body cannot be sent twice, so such a request is never retried. */
  private static boolean replayable(Request request) {
    return request.body() == null || !(request.body().isOneShot() || request.body().isDuplex());
  }
}
