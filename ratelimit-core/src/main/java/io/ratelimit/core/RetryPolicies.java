package io.ratelimit.core;

import io.github.resilience4j.retry.RetryConfig;
import io.ratelimit.core.internal.retry.RetryDelays;
import java.time.Instant;
import java.util.Set;
import okhttp3.Response;

/**
 * The retry a rate-limited client applies, as a resilience4j {@link RetryConfig} of {@link Response}: a
 * {@code 429} or {@code 503} is retried up to {@code PYTEST_MAX_RETRIES} times, after the server's
 * {@code Retry-After} when it gives a usable one, else after {@code PYTEST_BASE_BACKOFF x 2^n} with +/-25%
 * jitter, never longer than {@code PYTEST_MAX_BACKOFF}; exceptions are not retried. Start from it to make
 * your own ({@link RateLimitConfig.Builder#retryConfig}). The {@code Retry} of each API is in
 * {@link RateLimitCoordinator#retryRegistry()}, for its events and metrics.
 */
public final class RetryPolicies {
  /** The statuses retried: too many requests, and service unavailable (which also comes with {@code Retry-After}). */
  public static final Set<Integer> RETRIED_STATUSES = Set.of(429, 503);

  private RetryPolicies() {}

  /** The retry {@code config}'s settings describe. */
  public static RetryConfig of(RateLimitConfig config) {
    RetryDelays delays = new RetryDelays(config.baseBackoff(), config.maxBackoff());
    return RetryConfig.<Response>custom()
        .maxAttempts(config.maxRetries() + 1)
        .retryOnResult(response -> RETRIED_STATUSES.contains(response.code()))
        .retryOnException(e -> false)
        .intervalBiFunction((attempt, outcome) -> outcome.isRight()
            ? delays.beforeRetry(attempt, outcome.get().header("Retry-After"), Instant.now()).toMillis()
            : -1L)
        .failAfterMaxAttempts(false)
        .build();
  }
}
