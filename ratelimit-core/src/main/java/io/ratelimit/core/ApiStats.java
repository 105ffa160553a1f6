package io.ratelimit.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the limiter did for one API on one worker, or summed over several: immutable counters and the
 * rates derived from them.
 *
 * @param requests logical requests made by tests (one per {@code call.execute()})
 * @param attempts attempts on the wire: what the server received
 * @param rateLimited attempts answered 429
 * @param retries attempts repeated after a 429
 * @param succeededAfterRetry requests that succeeded only after retrying
 * @param exhausted requests whose retries ran out: the test received the last 429
 * @param ioErrors attempts that failed with an I/O error (passed to the test, not retried)
 * @param permitTimeouts attempts that waited {@code PYTEST_PERMIT_TIMEOUT} for a permit and went ahead without one
 * @param retryDelayTotalMs total time slept in backoff before retries
 * @param retryDelayMaxMs longest single backoff
 * @param permitWaitMs total time waiting for an in-flight permit or for request spacing
 * @param permitWaitMaxMs longest single such wait
 * @param statusCounts responses by HTTP status code
 */
@JsonPropertyOrder({"requests", "attempts", "rateLimited", "retries", "succeededAfterRetry", "exhausted", "ioErrors",
    "permitTimeouts", "retryRate", "successRate", "avgRetryDelayMs", "maxRetryDelayMs", "retryDelayTotalMs",
    "permitWaitMs", "permitWaitMaxMs", "statusCounts"})
public record ApiStats(
    long requests,
    long attempts,
    long rateLimited,
    long retries,
    long succeededAfterRetry,
    long exhausted,
    long ioErrors,
    long permitTimeouts,
    long retryDelayTotalMs,
    @JsonProperty("maxRetryDelayMs") long retryDelayMaxMs,
    long permitWaitMs,
    long permitWaitMaxMs,
    Map<Integer, Long> statusCounts) {

  /** No activity. */
  public static final ApiStats EMPTY = new ApiStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of());

  /** Copies the histogram into an immutable, sorted map. */
  public ApiStats {
    statusCounts = Collections.unmodifiableMap(new TreeMap<>(statusCounts));
  }

  /** Retries per logical request (0 when there were none). */
  @JsonProperty("retryRate")
  public double retryRate() {
    return ratio(retries, requests);
  }

  /** Share of logical requests that did not end in a 429 or an I/O error (1 when there were none). */
  @JsonProperty("successRate")
  public double successRate() {
    return requests == 0 ? 1.0 : ratio(requests - exhausted - Math.min(ioErrors, requests - exhausted), requests);
  }

  /** Average backoff before a retry, in milliseconds. */
  @JsonProperty("avgRetryDelayMs")
  public double avgRetryDelayMs() {
    return ratio(retryDelayTotalMs, retries);
  }

  /** Share of attempts answered 429. */
  public double rateLimitedShare() {
    return ratio(rateLimited, attempts);
  }

  /** Sum of counters, max of maxima. */
  public ApiStats plus(ApiStats o) {
    Map<Integer, Long> statuses = new TreeMap<>(statusCounts);
    o.statusCounts.forEach((code, n) -> statuses.merge(code, n, Long::sum));
    return new ApiStats(
        requests + o.requests,
        attempts + o.attempts,
        rateLimited + o.rateLimited,
        retries + o.retries,
        succeededAfterRetry + o.succeededAfterRetry,
        exhausted + o.exhausted,
        ioErrors + o.ioErrors,
        permitTimeouts + o.permitTimeouts,
        retryDelayTotalMs + o.retryDelayTotalMs,
        Math.max(retryDelayMaxMs, o.retryDelayMaxMs),
        permitWaitMs + o.permitWaitMs,
        Math.max(permitWaitMaxMs, o.permitWaitMaxMs),
        statuses);
  }

  private static double ratio(long a, long b) {
    return b == 0 ? 0.0 : Math.round(10_000.0 * a / b) / 10_000.0;
  }
}
