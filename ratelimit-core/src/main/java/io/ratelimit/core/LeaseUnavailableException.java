package io.ratelimit.core;

import java.util.List;

/**
 * Thrown when the resources asked for did not come free within the wait's bound. The message says how
 * many were free and who held the rest; {@link #holders()} lists them.
 */
public final class LeaseUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient List<LeaseInfo> holders;
  private final int free;

  /**
   * @param message the whole explanation
   * @param free how many of the resources asked for were free at the end of the wait
   * @param holders the leases that held the rest
   */
  public LeaseUnavailableException(String message, int free, List<LeaseInfo> holders) {
    super(message);
    this.free = free;
    this.holders = List.copyOf(holders);
  }

  /** How many of the resources were free when the wait ended. */
  public int free() {
    return free;
  }

  /** The leases that held the rest when the wait ended. */
  public List<LeaseInfo> holders() {
    return holders == null ? List.of() : holders;
  }
}
