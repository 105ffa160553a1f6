package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a rate-limited API enforces, checked on the starts its server saw: no window of 10 delays holds more
 * than the 11 starts the spacing allows.
 *
 * <p>Except at a cold start. When the senders of several JVMs start together on two busy cores, the scheduler
 * may stop one after its slot check and before its write: it starts late, and a window opening at that late
 * start reaches one slot further (a first start 48 ms late was seen with a 40 ms delay, a CPU burner beside
 * the build; see {@link ClockTolerance}). No client-side limiter can prevent that, and nothing in the stamps
 * tells it from an early start there, since no gap precedes the first. So windows opening at one of the first
 * {@code coldStarts} arrivals may hold one start more; every later window is held to 11, and a burst (two
 * more) fails anywhere.
 */
final class StartWindows {
  private static final int DELAYS = 10;
  private static final int MOST_STARTS = DELAYS + 1;

  private StartWindows() {}

  /** Fails naming the first window of 10 delays that holds more starts than allowed. */
  static void assertRateKept(List<Long> arrivalsNanos, Duration delay, int coldStarts, String context) {
    long window = delay.toNanos() * DELAYS;
    for (int i = 0; i < arrivalsNanos.size(); i++) {
      int most = i < coldStarts ? MOST_STARTS + 1 : MOST_STARTS;
      if (i + most < arrivalsNanos.size() && arrivalsNanos.get(i + most) - arrivalsNanos.get(i) < window) {
        fail((most + 1) + " starts within " + DELAYS + " delays from arrival " + i + " of " + arrivalsNanos.size() + " ("
            + context + "; the first " + coldStarts + " count as a cold start); gaps (ms) " + gapsMillis(arrivalsNanos));
      }
    }
  }

  /** Fails unless the median gap between starts is the delay, within 1 ms: the spacing is used, not only kept. */
  static void assertMedianGapIsTheDelay(List<Long> arrivalsNanos, Duration delay) {
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < arrivalsNanos.size(); i++) {
      gaps.add(arrivalsNanos.get(i) - arrivalsNanos.get(i - 1));
    }
    gaps.sort(null);
    long median = gaps.get(gaps.size() / 2);
    if (median < delay.toNanos() - Duration.ofMillis(1).toNanos()) {
      fail("median gap " + median / 1_000 + " us, delay " + delay.toMillis() + " ms; gaps (ms) " + gapsMillis(arrivalsNanos));
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
