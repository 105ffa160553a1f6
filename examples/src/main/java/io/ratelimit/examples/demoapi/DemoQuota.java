package io.ratelimit.examples.demoapi;

import java.time.Duration;

/**
 * What the demo API allows.
 *
 * @param requestsPerSecond sustained requests per second (a token bucket refilled at this rate)
 * @param burst requests the bucket holds when full: how many may arrive at once after a quiet spell
 * @param maxInFlight requests served at once; more are answered 429 straight away
 * @param latency how long serving one request takes
 */
public record DemoQuota(double requestsPerSecond, int burst, int maxInFlight, Duration latency) {

  /** 40 requests/s with a burst of 4, 10 in flight, 100 ms per request. */
  public static final DemoQuota DEFAULT = new DemoQuota(40, 4, 10, Duration.ofMillis(100));

  /** Validates the figures. */
  public DemoQuota {
    if (!(requestsPerSecond > 0) || burst < 1 || maxInFlight < 1 || latency.isNegative()) {
      throw new IllegalArgumentException("invalid demo quota: " + requestsPerSecond + "/s, burst " + burst
          + ", in flight " + maxInFlight + ", latency " + latency);
    }
  }
}
