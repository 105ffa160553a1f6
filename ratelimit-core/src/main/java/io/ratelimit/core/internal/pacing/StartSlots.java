package io.ratelimit.core.internal.pacing;

/**
 * The clock start slots are kept in: epoch nanoseconds, which the JVMs of one machine share (and machines
 * share through NTP). {@link Pacing} reserves the slots; this converts them to waits.
 */
public final class StartSlots {
  private StartSlots() {}

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
