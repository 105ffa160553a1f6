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

  /** Now as epoch nanoseconds (microsecond resolution on Linux): the clock slots are kept in, shared by the JVMs of a machine. */
  public static long epochNanosNow() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** How long from now until the slot {@code slotEpochNanos}; zero if it has come. */
  public static java.time.Duration untilSlot(long slotEpochNanos) {
    return java.time.Duration.ofNanos(Math.max(0, slotEpochNanos - epochNanosNow()));
  }
}
