package io.ratelimit.core;

import java.time.Duration;
import java.time.Instant;

/**
 * One resource under lease: who holds it, since when, and when the lease ends at the latest.
 *
 * @param resource the leased resource
 * @param pool the pool it was leased from, or {@code null} for a resource leased by its own name
 * @param owner who holds it: the worker id and the test, e.g. {@code w2/ItemsTest#update}
 * @param since when the lease was taken
 * @param expiresAt when it ends even if its holder never lets go ({@code PYTEST_LEASE_TIMEOUT} after
 *     {@code since}); a holder that dies loses it sooner, when it leaves the cluster or stops renewing it
 */
public record LeaseInfo(String resource, String pool, String owner, Instant since, Instant expiresAt) {

  /** How long the lease has been held at {@code now}. */
  public Duration heldFor(Instant now) {
    return Duration.between(since, now).isNegative() ? Duration.ZERO : Duration.between(since, now);
  }

  /** {@code resource (pool) held by owner since ...}, for messages. */
  @Override
  public String toString() {
    return resource + (pool == null ? "" : " (pool " + pool + ")") + " held by " + owner + " since " + since;
  }
}
