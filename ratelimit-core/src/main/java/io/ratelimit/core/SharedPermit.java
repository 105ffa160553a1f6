package io.ratelimit.core;

/**
 * A permit held across all workers of the run, from {@link RateLimitCoordinator#acquire}. Closing it
 * gives it back; closing it again does nothing.
 */
@FunctionalInterface
public interface SharedPermit extends AutoCloseable {

  /** Gives the permit back. */
  @Override
  void close();
}
