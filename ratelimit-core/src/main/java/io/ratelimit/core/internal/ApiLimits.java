package io.ratelimit.core.internal;

import java.time.Duration;

/**
 * The limits the limiter state enforces for one API.
 *
 * @param api API name: the key of the shared state
 * @param maxInFlight cap on requests in flight across all workers
 * @param spacing minimum time between request starts across all workers
 */
public record ApiLimits(String api, int maxInFlight, Duration spacing) {

  /** The name of the API's in-flight permits (and, in the cluster, of the entry that also holds its start slots). */
  public String permitName() {
    return "api:" + api;
  }
}
