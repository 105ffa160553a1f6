package io.ratelimit.core.internal.state;

/** One request's right to be in flight. Releasing is idempotent, so every exit path may release. */
public interface Permit {

  /**
   * Gives the permit back; calls after the first do nothing.
   *
   * @return true if this call gave it back, false if it was already given back
   */
  boolean release();

  /**
   * Gives the permit back without waiting for the shared state to confirm it (the request path: a
   * caller never waits on the way out); calls after the first do nothing.
   *
   * @return true if this call gave it back, false if it was already given back
   */
  default boolean releaseWithoutWaiting() {
    return release();
  }

  /** A permit that limits nothing, for unlimited clients and for requests that gave up waiting. */
  Permit NONE = () -> false;
}
