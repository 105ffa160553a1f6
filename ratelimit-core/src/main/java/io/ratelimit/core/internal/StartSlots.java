package io.ratelimit.core.internal;

/**
 * Virtual scheduling of request starts: each reservation takes the first free slot at or after now,
 * and moves the next free slot one spacing later. Pure arithmetic, shared by the local and the
 * cluster state so both space requests the same way.
 */
public final class StartSlots {
  private StartSlots() {}

  /** The slot a reservation made at {@code now} gets, when the next free slot is {@code nextFree}. */
  public static long slot(long nextFree, long now) {
    return Math.max(nextFree, now);
  }

  /** The next free slot after {@code slot} has been taken. */
  public static long nextFree(long slot, long spacing) {
    return slot + spacing;
  }
}
