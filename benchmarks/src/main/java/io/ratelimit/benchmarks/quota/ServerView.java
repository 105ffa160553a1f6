package io.ratelimit.benchmarks.quota;

import io.ratelimit.benchmarks.quota.QuotaApi.Arrival;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A row's run as the API saw it, from its arrivals ({@link QuotaApi#arrivals()}): the whole window in which
 * every worker JVM was sending, and the run second by second. Times are seconds after the API's
 * {@link QuotaApi#reset()} (the {@code GO} given to the workers).
 */
final class ServerView {
  /** The whole window is taken from this long after the last worker's first arrival: its own start-up is not counted. */
  static final double OPENING_SECONDS = 1.0;

  private final List<Arrival> arrivals;
  private final long originMicros;
  private final int workers;

  /** The whole window: from {@code start} to {@code end} (seconds after reset), and what arrived in it. */
  record Window(double start, double end, long attempts, long refused, long admitted) {
    double seconds() {
      return end - start;
    }
  }

  ServerView(List<Arrival> arrivals, long originMicros, int workers) {
    this.arrivals = arrivals.stream().filter(a -> a.epochMicros() >= originMicros).toList();
    this.originMicros = originMicros;
    this.workers = workers;
  }

  private double at(Arrival a) {
    return (a.epochMicros() - originMicros) / 1e6;
  }

  /**
   * The whole window: from {@link #OPENING_SECONDS} after the last worker's first arrival to the first
   * worker's last arrival; null with {@link #why()} when there is none (a worker never arrived, or the
   * window is empty).
   */
  Window wholeWindow() {
    Map<Integer, double[]> firstLast = new HashMap<>();
    for (Arrival a : arrivals) {
      if (a.worker() >= 1 && a.worker() <= workers) {
        double t = at(a);
        firstLast.merge(a.worker(), new double[] {t, t}, (old, now) -> new double[] {Math.min(old[0], now[0]), Math.max(old[1], now[1])});
      }
    }
    if (firstLast.size() < workers) {
      return null;
    }
    double start = firstLast.values().stream().mapToDouble(fl -> fl[0]).max().orElseThrow() + OPENING_SECONDS;
    double end = firstLast.values().stream().mapToDouble(fl -> fl[1]).min().orElseThrow();
    if (end <= start) {
      return null;
    }
    long attempts = 0;
    long refused = 0;
    long admitted = 0;
    for (Arrival a : arrivals) {
      double t = at(a);
      if (t >= start && t <= end) {
        attempts++;
        refused += a.refused() ? 1 : 0;
        admitted += a.admitted() ? 1 : 0;
      }
    }
    return new Window(start, end, attempts, refused, admitted);
  }

  /**
   * The mean number of requests in flight at the API from {@code start} to {@code end} (seconds after reset):
   * each request's time from arrival to answer, clipped to the stretch, summed over every request (refused
   * ones too, answered at once), divided by the stretch's length; NaN when an arrival's answer time is
   * unknown ({@link Arrival#answerMicros()} -1: only an nginx referee logs it) or the stretch is empty.
   */
  double meanInFlight(double start, double end) {
    if (end <= start) {
      return Double.NaN;
    }
    double busy = 0;
    for (Arrival a : arrivals) {
      if (a.answerMicros() < 0) {
        return Double.NaN;
      }
      double from = Math.max(start, at(a));
      double to = Math.min(end, (a.answerMicros() - originMicros) / 1e6);
      if (to > from) {
        busy += to - from;
      }
    }
    return busy / (end - start);
  }

  /** Why {@link #wholeWindow()} is null. */
  String why() {
    long seen = arrivals.stream().mapToInt(Arrival::worker).filter(w -> w >= 1 && w <= workers).distinct().count();
    return seen < workers ? "only " + seen + " of " + workers + " workers arrived"
        : "the last worker's first arrival + " + OPENING_SECONDS + " s is after the first worker's last";
  }

  /**
   * The run second by second: starts (arrivals), 429s, admitted, the median and longest gap between
   * consecutive arrivals (the gap counts in the second of the later one), and marks: the whole window's
   * opening and closing; with {@code inFlight}, one more column, the mean requests in flight at the API in
   * each second ({@link #meanInFlight}).
   */
  String timeline(String title, Window window, boolean inFlight) {
    StringBuilder out = new StringBuilder();
    out.append(title).append('\n');
    out.append("\n| second | starts | 429s | admitted | median gap ms | longest gap ms |" + (inFlight ? " mean in flight |" : "") + " mark |\n");
    out.append("|---:|---:|---:|---:|---:|---:|" + (inFlight ? "---:|" : "") + "---|\n");
    if (arrivals.isEmpty()) {
      return out.append("| - | 0 | 0 | 0 | - | - |" + (inFlight ? " - |" : "") + " no arrival |\n").toString();
    }
    int last = (int) Math.floor(at(arrivals.get(arrivals.size() - 1)));
    int index = 0;
    double previous = Double.NaN;
    for (int second = 0; second <= last; second++) {
      long starts = 0;
      long refused = 0;
      long admitted = 0;
      List<Double> gaps = new ArrayList<>();
      while (index < arrivals.size() && at(arrivals.get(index)) < second + 1) {
        Arrival a = arrivals.get(index++);
        double t = at(a);
        starts++;
        refused += a.refused() ? 1 : 0;
        admitted += a.admitted() ? 1 : 0;
        if (!Double.isNaN(previous)) {
          gaps.add(1000 * (t - previous));
        }
        previous = t;
      }
      Collections.sort(gaps);
      List<String> marks = new ArrayList<>();
      if (window != null && (int) Math.floor(window.start()) == second) {
        marks.add(String.format(Locale.ROOT, "whole window opens (%.2f s)", window.start()));
      }
      if (window != null && (int) Math.floor(window.end()) == second) {
        marks.add(String.format(Locale.ROOT, "whole window closes (%.2f s)", window.end()));
      }
      String inFlightCell = "";
      if (inFlight) {
        double mean = meanInFlight(second, second + 1);
        inFlightCell = " " + (Double.isNaN(mean) ? "-" : String.format(Locale.ROOT, "%.2f", mean)) + " |";
      }
      out.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %s | %s |%s %s |%n", second, starts, refused, admitted,
          gaps.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", median(gaps)),
          gaps.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f", gaps.get(gaps.size() - 1)), inFlightCell, String.join("; ", marks)));
    }
    return out.toString();
  }

  private static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
