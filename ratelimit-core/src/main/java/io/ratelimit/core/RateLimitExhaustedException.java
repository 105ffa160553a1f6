package io.ratelimit.core;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * A request the API throttled past what the limiter could absorb: its retries after 429/503 ran out, or it
 * waited {@code PYTEST_PERMIT_TIMEOUT} for an in-flight permit. A test that sent it ended "throttled", not
 * broken: what it asserted about the response says nothing about the code under test.
 *
 * <p>The client never throws it: it still returns the last response, as it always has, so code outside a
 * test framework sees no change. The limiter records it against the test that made the call
 * ({@link io.ratelimit.core.spi.TestAttribution}), and a test integration ends that test with it (the JUnit
 * extension does, unless the test is annotated {@code @ExpectRateLimits}); the test's own failure, if any, is
 * attached to it as suppressed.
 */
public final class RateLimitExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the request counts as throttled. */
  public enum Reason {
    /** Every attempt was answered 429 or 503, up to {@code PYTEST_MAX_RETRIES} retries (or the body could not be sent again). */
    RETRIES_EXHAUSTED,
    /** It waited {@code PYTEST_PERMIT_TIMEOUT} for an in-flight permit and went without one. */
    PERMIT_TIMEOUT
  }

  private final String api;
  private final Reason reason;
  private final String request;
  private final int attempts;
  private final int lastStatus;
  private final Duration lastRetryAfter;
  private final Duration effectiveDelay;

  /**
   * @param api the API's name in the configuration ({@code default} unless {@code @Api}-named)
   * @param reason why it counts as throttled
   * @param request method and redacted URL, e.g. {@code GET http://127.0.0.1:8080/items}
   * @param attempts attempts sent for it (the first one and its retries)
   * @param lastStatus the status of the last answer (0 when none came yet)
   * @param lastRetryAfter the last answer's usable {@code Retry-After}, or null
   * @param effectiveDelay the run's spacing between request starts for the API when it ended, or null when not paced
   */
  public RateLimitExhaustedException(String api, Reason reason, String request, int attempts, int lastStatus, Duration lastRetryAfter,
      Duration effectiveDelay) {
    super(message(api, reason, request, attempts, lastStatus, lastRetryAfter, effectiveDelay));
    this.api = api;
    this.reason = reason;
    this.request = request;
    this.attempts = attempts;
    this.lastStatus = lastStatus;
    this.lastRetryAfter = lastRetryAfter;
    this.effectiveDelay = effectiveDelay;
  }

  private static String message(String api, Reason reason, String request, int attempts, int lastStatus, Duration retryAfter,
      Duration delay) {
    String what = reason == Reason.RETRIES_EXHAUSTED
        ? String.format(Locale.ROOT, "API '%s' answered %d to the last of %d attempts, and the retries ran out (PYTEST_MAX_RETRIES)",
            api, lastStatus, attempts)
        : String.format(Locale.ROOT, "it waited PYTEST_PERMIT_TIMEOUT for an in-flight permit of API '%s' and went without one "
            + "(the cap is too low for the suite, or responses are left unclosed)", api);
    return String.format(Locale.ROOT, "throttled, not broken: %s: %s; last Retry-After %s; the run paced starts %s apart. "
        + "The test's own outcome says nothing about the code under test (add @ExpectRateLimits to a test that expects 429s)",
        request, what, retryAfter == null ? "none" : millis(retryAfter), delay == null ? "0 ms (not paced)" : millis(delay));
  }

  private static String millis(Duration d) {
    return d.toMillis() >= 1000 && d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** The API's name in the configuration. */
  public String api() {
    return api;
  }

  /** Why the request counts as throttled. */
  public Reason reason() {
    return reason;
  }

  /** Method and redacted URL of the request. */
  public String request() {
    return request;
  }

  /** Attempts sent for the request: the first one and its retries. */
  public int attempts() {
    return attempts;
  }

  /** Status of the last answer (429 or 503 when retries ran out; 0 when none had come). */
  public int lastStatus() {
    return lastStatus;
  }

  /** The last answer's usable {@code Retry-After}, if it had one. */
  public Optional<Duration> lastRetryAfter() {
    return Optional.ofNullable(lastRetryAfter);
  }

  /** The run's spacing between the API's request starts when the request ended, if the API is paced. */
  public Optional<Duration> effectiveDelay() {
    return Optional.ofNullable(effectiveDelay);
  }
}
