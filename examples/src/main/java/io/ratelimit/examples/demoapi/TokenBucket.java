package io.ratelimit.examples.demoapi;

/**
 * The demo API's rate quota: a token bucket refilled at a fixed rate. A request that finds no token is
 * refused and told how long until one is there.
 */
final class TokenBucket {
  private final double tokensPerNano;
  private final double capacity;
  private double tokens;
  private long last;

  TokenBucket(double perSecond, int capacity, long nowNanos) {
    this.tokensPerNano = perSecond / 1e9;
    this.capacity = capacity;
    this.tokens = capacity;
    this.last = nowNanos;
  }

  /** Takes a token; returns 0 when granted, else the nanoseconds until a token is there. */
  synchronized long tryTake(long nowNanos) {
    tokens = Math.min(capacity, tokens + (nowNanos - last) * tokensPerNano);
    last = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return (long) Math.ceil((1 - tokens) / tokensPerNano);
  }
}
