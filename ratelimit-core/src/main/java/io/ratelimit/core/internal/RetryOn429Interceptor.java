package io.ratelimit.core.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Application interceptor: counts the logical request and retries it after a 429, waiting as
 * {@link RetryDelays} says. No permit is held while it waits: the permit belongs to the attempt and is
 * released when the 429's body is closed. When retries run out, the last 429 is returned as an ordinary
 * response. Other statuses and I/O errors pass through untouched.
 */
public final class RetryOn429Interceptor implements Interceptor {
  private final StatsRecorder.Counters counters;
  private final int maxRetries;
  private final RetryDelays delays;
  private final Clock clock;

  /**
   * @param counters the API's counters
   * @param maxRetries retries after a 429; 0 never retries
   * @param delays the wait before each retry
   */
  public RetryOn429Interceptor(StatsRecorder.Counters counters, int maxRetries, RetryDelays delays) {
    this.counters = counters;
    this.maxRetries = maxRetries;
    this.delays = delays;
    this.clock = Clock.systemUTC();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    counters.request();
    Request request = chain.request();
    WaitCondition cancelled = chain.call()::isCanceled;
    for (int retry = 1; ; retry++) {
      Response response = chain.proceed(request);
      if (response.code() != 429) {
        if (retry > 1) {
          counters.succeededAfterRetry();
        }
        return response;
      }
      if (retry > maxRetries || !replayable(request)) {
        counters.exhausted();
        return response;
      }
      Duration wait = delays.beforeRetry(retry, response.header("Retry-After"), clock.instant());
      response.close(); // frees the attempt's permit before sleeping
      Waits.sleep(wait, cancelled);
      counters.retry(wait.toNanos());
    }
  }

  /** A one-shot or duplex body cannot be sent twice, so such a request is never retried. */
  private static boolean replayable(Request request) {
    return request.body() == null || !(request.body().isOneShot() || request.body().isDuplex());
  }
}
