package io.ratelimit.core.internal.retry;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * How long to wait before retrying a 429: the server's {@code Retry-After} when it gives a usable one,
 * otherwise exponential backoff with jitter (resilience4j's {@link IntervalFunction}); never more than
 * the max backoff.
 */
public final class RetryDelays {
  /** Spread of the jitter around base x 2^n: +/- 25%. */
  static final double JITTER = 0.25;

  private final Duration maxBackoff;
  private final IntervalFunction exponential;

  /**
   * @param baseBackoff first backoff when the server gives no usable {@code Retry-After}
   * @param maxBackoff cap on every wait
   */
  public RetryDelays(Duration baseBackoff, Duration maxBackoff) {
    this.maxBackoff = maxBackoff;
    // resilience4j refuses intervals under 1 ms: a smaller base means "retry at once"
    this.exponential = baseBackoff.toMillis() < 1 || maxBackoff.toMillis() < 1
        ? attempt -> 0L
        : IntervalFunction.ofExponentialRandomBackoff(baseBackoff, 2.0, JITTER, maxBackoff);
  }

  /**
   * The wait before retry number {@code retry} (1 for the first retry).
   *
   * @param retryAfterHeader the 429's {@code Retry-After} header, or null
   * @param now the time the 429 arrived, to resolve an HTTP-date
   */
  public Duration beforeRetry(int retry, String retryAfterHeader, Instant now) {
    Duration wait = retryAfter(retryAfterHeader, now).orElseGet(() -> Duration.ofMillis(exponential.apply(retry)));
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }

  /**
   * A usable {@code Retry-After}: delta-seconds (RFC 9110: digits only) or an HTTP-date in the future.
   * Junk, negative numbers and dates in the past are ignored.
   */
  public static Optional<Duration> retryAfter(String header, Instant now) {
    if (header == null) {
      return Optional.empty();
    }
    String value = header.trim();
    if (value.matches("[0-9]{1,18}")) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(value)));
    }
    if (value.matches("[0-9]{19,}")) {
      return Optional.of(Duration.ofSeconds(Long.MAX_VALUE / 1_000_000_000L)); // absurdly large: the cap applies
    }
    try {
      Instant date = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return date.isAfter(now) ? Optional.of(Duration.between(now, date)) : Optional.empty();
    } catch (DateTimeParseException junk) {
      return Optional.empty();
    }
  }
}
