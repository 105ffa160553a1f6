package io.ratelimit.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import okhttp3.Headers;

/** Placeholder until the header parser lands. */
public final class RateLimitHeaders {
  private RateLimitHeaders() {}

  /** A window's remaining quota. */
  public record Quota(long remaining, Instant resetAt) {}

  public static Optional<Quota> parse(Headers headers, Instant now, Duration maxWait) {
    return Optional.empty();
  }
}
