package io.ratelimit.core;

import java.time.Instant;
import java.util.List;

/**
 * Resources held under one lease, from {@link ResourceLeases}. Closing it ends the lease; closing it again
 * does nothing. A lease also ends when its holder's JVM leaves the run or when it expires.
 */
public interface ResourceLease extends AutoCloseable {

  /** The pool the resources came from, or {@code null} for a resource leased by its own name. */
  String pool();

  /** The resources held, in the pool's order. */
  List<String> resources();

  /** Who holds them: the worker id and the owner given to {@link RateLimitCoordinator#leases(String)}. */
  String owner();

  /** When the lease was granted. */
  Instant since();

  /** When it ends at the latest ({@code PYTEST_LEASE_TIMEOUT} after {@link #since()}). */
  Instant expiresAt();

  /** Ends the lease; logs a warning if it had already expired or been freed by someone else. */
  @Override
  void close();
}
