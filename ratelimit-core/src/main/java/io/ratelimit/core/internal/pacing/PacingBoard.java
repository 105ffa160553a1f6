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
    long pausedNanos; // the pauses heard of, overlaps counted once, their future part included (under the lock)
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
      long from = Math.max(StartSlots.epochNanosNow(), k.pausedUntil); // from now on, or from where the pause it extends ends
      if (untilEpochNanos > from) {
        k.pausedNanos += untilEpochNanos - from;
      }
      k.pausedUntil = Math.max(k.pausedUntil, untilEpochNanos);
    }
  }

  /**
   * How long each API's starts have been paused so far, as this JVM heard of its pauses (from when it heard):
   * seconds in which the API's rate cannot be read, for the report's advice. APIs never paused are absent.
   */
  public Map<String, Duration> pausedSoFar() {
    Map<String, Duration> paused = new TreeMap<>();
    long now = StartSlots.epochNanosNow();
    apis.forEach((api, k) -> {
      synchronized (k) {
        if (k.pausedNanos > 0) {
          paused.put(api, Duration.ofNanos(Math.max(0, k.pausedNanos - Math.max(0, k.pausedUntil - now))));
        }
      }
    });
    return paused;
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

  /** The API's latest effective spacing, if it has been paced. */
  public java.util.Optional<Duration> effectiveDelay(String api) {
    Known k = apis.get(api);
    return k == null || k.spacingNanos < 0 ? java.util.Optional.empty() : java.util.Optional.of(Duration.ofNanos(k.spacingNanos));
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
