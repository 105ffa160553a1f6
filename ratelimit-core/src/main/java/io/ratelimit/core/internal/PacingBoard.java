package io.ratelimit.core.internal;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this JVM knows of each API's pacing: the latest effective spacing it was given (for the report's
 * timeline) and the latest pause it heard of. A request whose start slot was reserved before a pause
 * began checks here before it starts, so a pause another thread learned of stops it too: the shared
 * state gives later slots after the pause, this catches the slots given out before it.
 */
public final class PacingBoard {
  private final Map<String, Known> apis = new ConcurrentHashMap<>();

  private static final class Known {
    volatile long spacingNanos = -1;
    volatile long pausedUntil;
  }

  private Known known(String api) {
    return apis.computeIfAbsent(api, a -> new Known());
  }

  /** Notes a slot the shared state gave out: its spacing and the pause it knew. */
  public void saw(String api, Pacing.Slot slot) {
    if (slot == Pacing.Slot.NOW) {
      return;
    }
    Known k = known(api);
    k.spacingNanos = slot.spacingNanos();
    paused(api, slot.pausedUntil());
  }

  /** Notes a pause: no start of the API before {@code untilEpochNanos}. */
  public void paused(String api, long untilEpochNanos) {
    Known k = known(api);
    synchronized (k) {
      k.pausedUntil = Math.max(k.pausedUntil, untilEpochNanos);
    }
  }

  /** The latest pause heard of for the API (epoch nanos; 0 for none). */
  public long pausedUntil(String api) {
    Known k = apis.get(api);
    return k == null ? 0 : k.pausedUntil;
  }

  /** Each API's latest effective spacing, for the APIs that have been paced. */
  public Map<String, Duration> effectiveDelays() {
    Map<String, Duration> delays = new TreeMap<>();
    apis.forEach((api, k) -> {
      if (k.spacingNanos >= 0) {
        delays.put(api, Duration.ofNanos(k.spacingNanos));
      }
    });
    return delays;
  }
}
