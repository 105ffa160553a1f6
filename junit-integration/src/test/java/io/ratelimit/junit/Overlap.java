package io.ratelimit.junit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records when fixture tests ran, to observe how many ran at once and which overlapped. */
final class Overlap {
  record Interval(String name, long start, long end, boolean startedSequential) {}

  static final AtomicInteger RUNNING = new AtomicInteger();
  static final AtomicInteger MAX_RUNNING = new AtomicInteger();
  static final List<Interval> INTERVALS = new CopyOnWriteArrayList<>();

  private Overlap() {}

  static void reset() {
    RUNNING.set(0);
    MAX_RUNNING.set(0);
    INTERVALS.clear();
  }

  static long begin() {
    MAX_RUNNING.accumulateAndGet(RUNNING.incrementAndGet(), Math::max);
    return System.nanoTime();
  }

  static void end(String name, long start, boolean startedSequential) {
    RUNNING.decrementAndGet();
    INTERVALS.add(new Interval(name, start, System.nanoTime(), startedSequential));
  }

  static boolean overlapsAnother(Interval i) {
    return INTERVALS.stream().anyMatch(o -> o != i && o.start() < i.end() && i.start() < o.end());
  }
}
