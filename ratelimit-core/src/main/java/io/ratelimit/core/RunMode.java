package io.ratelimit.core;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether the run is parallel or sequential, and since when and why it went sequential.
 *
 * @param sequential true once the run went sequential
 * @param switchedAt when it went sequential
 * @param reason why it went sequential
 */
public record RunMode(boolean sequential, Optional<Instant> switchedAt, Optional<String> reason) {

  /** The parallel run mode, where every run starts unless told otherwise. */
  public static final RunMode PARALLEL = new RunMode(false, Optional.empty(), Optional.empty());

  /** A run mode that went sequential now for {@code reason}. */
  public static RunMode sequentialSince(Instant at, String reason) {
    return new RunMode(true, Optional.of(at), Optional.of(reason));
  }
}
