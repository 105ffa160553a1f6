package io.ratelimit.core.internal.waits;

/**
 * Why a wait must end early: the OkHttp call was cancelled. Checked between short wait slices, since
 * {@code Call.cancel()} does not interrupt the waiting thread.
 */
@FunctionalInterface
public interface WaitCondition {

  /** True when the caller no longer wants to wait. */
  boolean cancelled();

  /** Never cancelled. */
  WaitCondition NEVER = () -> false;
}
