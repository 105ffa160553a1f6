package io.ratelimit.core.internal.pacing;

import io.ratelimit.core.LearnedDelay;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this JVM knows of each API's pacing: the latest effective spacing it was given (for the report's
 * timeline), the margin the run has learned above the configured delay (for the report's advice) and the
 * latest pause it heard of. A request whose start slot was reserved before a pause
 * began checks here before it starts, so a pause another thread learned of stops it too: the shared
 * state gives later slots after the pause, this catches the slots given out before it.
 */
public final class PacingBoard {
  private final Map<String, Known> apis = new ConcurrentHashMap<>();

  private static final class Known {
    volatile long spacingNanos = -1;
    volatile long configuredNanos;
    volatile long learnedNanos;
    volatile long pausedUntil;
  }

  private Known known(String api) {
    return apis.computeIfAbsent(api, a -> new Known());
  }

  /** Notes a slot the shared state gave out for an API: its spacing, the learned margin and the pause it knew. */
  public void saw(ApiLimits limits, Pacing.Slot slot) {
    if (slot == Pacing.Slot.NOW) {
      return;
    }
    String api = limits.api();
    Known k = known(api);
    if (k.configuredNanos == 0) {
      k.configuredNanos = limits.spacing().toNanos(); // an API's limits are fixed for the run
    }
    k.spacingNanos = slot.spacingNanos();
    if (slot.learnedNanos() > k.learnedNanos) { // written only on a lesson; slots reserved before one may come back later
      k.learnedNanos = slot.learnedNanos();
    }
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

  /** What each API's refusals taught the run, for the APIs that taught anything. */
  public Map<String, LearnedDelay> learnedDelays() {
    Map<String, LearnedDelay> learned = new TreeMap<>();
    apis.forEach((api, k) -> {
      if (k.learnedNanos > 0) {
        learned.put(api, new LearnedDelay(api, Duration.ofNanos(k.configuredNanos), Duration.ofNanos(k.configuredNanos + k.learnedNanos)));
      }
    });
    return learned;
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
