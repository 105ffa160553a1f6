package io.ratelimit.core.internal.pacing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When each API's latest request left, as the run's JVMs that share this record know it. A sender can be
 * descheduled after its last look at the clock and before its write, so its request leaves late and crowds
 * the request of the next slot, which may be another JVM's: an API that counts spacing refuses that one.
 * So every request notes when it left, and the next sender keeps {@link Pacing#afterLateStart} after the latest
 * start before it writes. This only ever delays a start, never brings one forward.
 */
public interface StartTimes {
  /** Notes that a request of {@code api} left at {@code epochNanos} (a later start replaces an earlier one). */
  void started(String api, long epochNanos);

  /** The latest start of {@code api} noted (epoch nanoseconds; 0 for none). */
  long latest(String api);

  /** A record this JVM alone shares: where no other JVM of the run shares this machine's memory. */
  static StartTimes inThisJvm() {
    return new InThisJvm();
  }

  /** The starts of this JVM's requests, in its memory. */
  final class InThisJvm implements StartTimes {
    private final Map<String, AtomicLong> latest = new ConcurrentHashMap<>();

    @Override
    public void started(String api, long epochNanos) {
      latest.computeIfAbsent(api, a -> new AtomicLong()).accumulateAndGet(epochNanos, Math::max);
    }

    @Override
    public long latest(String api) {
      AtomicLong known = latest.get(api);
      return known == null ? 0 : known.get();
    }
  }
}
