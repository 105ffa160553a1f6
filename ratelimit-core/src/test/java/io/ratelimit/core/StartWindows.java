package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a rate-limited API enforces, checked on the starts its server saw: no window of 10 delays holds more
 * starts than the spacing allows (11), plus one.
 *
 * <p>The one is for a sender thread that the scheduler stops after its slot check and before its write: it
 * starts late, and a window opening at that late start also reaches one slot further. With several JVMs and
 * the server sharing two busy cores such a stop lasted 48 ms once (a 40 ms delay; see {@link ClockTolerance}).
 * No client-side limiter can prevent it, and it never adds more than one start to a window while the stop
 * stays under two delays. A real burst, two starts more in any window, still fails.
 */
final class StartWindows {
  static final int DELAYS = 10;
  static final int MOST_STARTS = DELAYS + 1 + 1;

  private StartWindows() {}

  /** Fails naming the first window of {@link #DELAYS} delays that holds more than {@link #MOST_STARTS} starts. */
  static void assertRateKept(List<Long> arrivalsNanos, Duration delay, String context) {
    long window = delay.toNanos() * DELAYS;
    for (int i = 0; i + MOST_STARTS < arrivalsNanos.size(); i++) {
      if (arrivalsNanos.get(i + MOST_STARTS) - arrivalsNanos.get(i) < window) {
        fail((MOST_STARTS + 1) + " starts within " + DELAYS + " delays from arrival " + i + " of "
            + arrivalsNanos.size() + " (" + context + "); gaps (ms) " + gapsMillis(arrivalsNanos));
      }
    }
  }

  private static List<Double> gapsMillis(List<Long> arrivalsNanos) {
    List<Double> gaps = new ArrayList<>();
    for (int i = 1; i < arrivalsNanos.size(); i++) {
      gaps.add((arrivalsNanos.get(i) - arrivalsNanos.get(i - 1)) / 100_000 / 10.0);
    }
    return gaps;
  }
}
