package io.ratelimit.core;

/**
 * How much earlier than the configured delay the server may stamp an arrival. The limiter reserves
 * start slots exactly the delay apart; what the server sees also varies with the client thread's
 * wake-up and the server's own dispatch. Measured on a busy 2-core machine: within 2 ms once connections
 * are open (while the server accepts a burst of new connections, its stamps lag by tens of ms; tests
 * open their connections first).
 */
final class ClockTolerance {
  static final long MILLIS = 5;

  private ClockTolerance() {}
}
