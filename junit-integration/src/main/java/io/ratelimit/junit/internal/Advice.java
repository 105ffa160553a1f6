package io.ratelimit.junit.internal;

import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report's one line of advice, computed from the run's figures, the most pressing first: an API that
 * refused every attempt (no limit fixes that), 429s (what spacing the API took, read only from the time the
 * run was not paused by {@code Retry-After}), the margin a few refusals taught the run (the delay to
 * configure), long waits for shared resources, permit waits with no 429 (limits tighter than the API needs),
 * long waits for a turn; else the limits fit. Tests that ended throttled are named first.
 */
final class Advice {
  /** Margin added to the spacing the API was seen to accept. */
  static final double MARGIN = 1.1;
  /** A second paused for more than this share says too little about the API's rate to read one from it. */
  static final double MOST_PAUSED = 0.75;

  private Advice() {}

  static String of(ApiStats totals, RateLimitConfig config, ReportData.Suite suite, Map<String, List<Timeline.Sample>> timeline,
      Map<String, ReportData.LeaseWaits> leaseWaits, Map<String, ReportData.TestFigures> tests, Map<String, ReportData.Learned> learned) {
    long throttled = tests.values().stream().filter(t -> Verdict.THROTTLED.label().equals(t.verdict())).count();
    String advice = advice(totals, config, suite, timeline, leaseWaits, tests, learned);
    return throttled == 0 ? advice : String.format(Locale.ROOT, "%d test(s) ended throttled, not broken (the limiter gave up on one of "
        + "their requests); %s", throttled, advice);
  }

  private static String advice(ApiStats totals, RateLimitConfig config, ReportData.Suite suite, Map<String, List<Timeline.Sample>> timeline,
      Map<String, ReportData.LeaseWaits> leaseWaits, Map<String, ReportData.TestFigures> tests, Map<String, ReportData.Learned> learned) {
    double testSeconds = Math.max(1, suite.testTimeMs()) / 1000.0;
    long refused = totals.rateLimited() + totals.statusCounts().getOrDefault(503, 0L);
    if (refused > 0 && refused >= totals.attempts() - totals.ioErrors()) {
      // no spacing is right for an API that takes nothing: any delay the figures gave would be a guess
      return String.format(Locale.ROOT, "the API refused every attempt (%d of %d answered 429 or 503): no delay or cap fixes that; "
          + "check the quota of the API account the tests use, their credentials, and the limits the API sets for them", refused,
          totals.attempts() - totals.ioErrors());
    }
    if (totals.attempts() > 0 && totals.rateLimitedShare() >= 0.01) {
      return rateLimited(totals, config, timeline);
    }
    if (!learned.isEmpty()) { // a few refusals taught the run its margin: the delay to start with next time
      return learned(totals, learned);
    }
    long leaseMs = tests.values().stream().mapToLong(ReportData.TestFigures::leaseWaitMs).sum();
    if (leaseMs >= 1000 && leaseMs / 1000.0 >= 0.25 * testSeconds) {
      Map.Entry<String, ReportData.LeaseWaits> most = leaseWaits.entrySet().stream()
          .max(Comparator.comparingLong(e -> e.getValue().totalWaitMs())).orElse(null);
      return String.format(Locale.ROOT, "tests waited %.1f s for shared resources (%.0f%% of the tests' time)%s: add items to the "
          + "pool (PYTEST_RESOURCE_POOLS) or let fewer tests need the same resource", leaseMs / 1000.0, 100 * leaseMs / 1000.0 / testSeconds,
          most == null ? "" : String.format(Locale.ROOT, ", most for '%s' (%.1f s)", most.getKey(), most.getValue().totalWaitMs() / 1000.0));
    }
    double permitSeconds = totals.permitWaitMs() / 1000.0;
    if (totals.rateLimited() == 0 && permitSeconds >= 1 && permitSeconds >= 0.1 * testSeconds) {
      return String.format(Locale.ROOT, "no 429 and %.1f s of permit waits (%.0f%% of the tests' time): the limits may be tighter "
          + "than the API needs; try %s and watch for 429s", permitSeconds, 100 * permitSeconds / testSeconds, looser(config, timeline));
    }
    long turnMs = tests.values().stream().mapToLong(ReportData.TestFigures::turnWaitMs).sum();
    if (turnMs >= 1000 && turnMs / 1000.0 >= 0.25 * testSeconds) {
      return String.format(Locale.ROOT, "tests waited %.1f s for their turn (%.0f%% of the tests' time): a test thread "
          + "(PYTEST_WORKERS), sequential mode, @RunAlone or a category cap (PYTEST_CATEGORY_LIMITS) held them", turnMs / 1000.0,
          100 * turnMs / 1000.0 / testSeconds);
    }
    return String.format(Locale.ROOT, "%d 429s and %.1f s of permit waits (%.0f%% of the tests' time): the limits fit this suite; "
        + "nothing to change", totals.rateLimited(), permitSeconds, 100 * permitSeconds / testSeconds);
  }

  /**
   * The margin refusals taught the run: the delay each API needed, to configure so that the next run starts
   * with it (and pays no refusal to learn it again).
   */
  private static String learned(ApiStats totals, Map<String, ReportData.Learned> learned) {
    List<String> needs = new ArrayList<>();
    List<String> settings = new ArrayList<>();
    learned.forEach((api, l) -> {
      needs.add(String.format(Locale.ROOT, "%s needed %.0f ms between starts, not %.0f", RateLimitConfig.DEFAULT_API.equals(api)
          ? "the API" : "API '" + api + "'", l.neededMs(), l.configuredMs()));
      String variable = RateLimitConfig.DEFAULT_API.equals(api) ? "PYTEST_RATE_LIMIT_DELAY"
          : io.ratelimit.settings.SettingKey.of("rate-limit-delay").forApi(api).environment();
      settings.add(String.format(Locale.ROOT, "%s=%.3f", variable, Math.ceil(l.neededMs() - 1e-6) / 1000));
    });
    return String.format(Locale.ROOT, "%s: %d 429s (%.1f%% of attempts) taught the run that margin and it kept it; set %s",
        String.join("; ", needs), totals.rateLimited(), 100 * totals.rateLimitedShare(), String.join(" and ", settings));
  }

  /** 429s: where the adaptive delay settled, or else the spacing the API accepted in the seconds it refused some, with a margin. */
  private static String rateLimited(ApiStats totals, RateLimitConfig config, Map<String, List<Timeline.Sample>> timeline) {
    String share = String.format(Locale.ROOT, "%.1f%% of attempts were answered 429", 100 * totals.rateLimitedShare());
    if (config.adaptiveDelay()) {
      java.util.OptionalDouble settled = settledDelayMs(timeline);
      if (settled.isPresent()) {
        double floorMs = config.rateLimitDelay().toNanos() / 1e6;
        double peakMs = timeline.values().stream().flatMap(List::stream).mapToDouble(Timeline.Sample::delayMs).max().orElse(floorMs);
        if (settled.getAsDouble() <= floorMs * 1.05 + 0.5) {
          return String.format(Locale.ROOT, "%s; the adaptive delay answered them (it widened to %.0f ms at most and came back to "
              + "%.0f ms, PYTEST_RATE_LIMIT_DELAY being its floor): nothing to change", share, peakMs, settled.getAsDouble());
        }
        return String.format(Locale.ROOT, "%s; the adaptive delay settled at %.0f ms, above PYTEST_RATE_LIMIT_DELAY (%.0f ms): the API "
            + "takes less than the limits say; set PYTEST_RATE_LIMIT_DELAY=%.3f", share, settled.getAsDouble(), floorMs,
            Math.ceil(settled.getAsDouble()) / 1000);
      }
    }
    // the rate the API took, in the seconds it refused some, over the part of each second the run was not
    // paused: a Retry-After pause stops every start, so counting its time would make the API look slower
    List<Double> accepted = new ArrayList<>();
    Map<Long, Long> paused = pausedPerSecond(timeline);
    double pausedSeconds = 0;
    int refusing = 0;
    for (Map.Entry<Long, long[]> second : perSecond(timeline).entrySet()) {
      long[] s = second.getValue();
      if (s[1] == 0) {
        continue;
      }
      refusing++;
      double pausedShare = Math.min(1000, paused.getOrDefault(second.getKey(), 0L)) / 1000.0;
      pausedSeconds += pausedShare;
      if (s[0] - s[1] > 0 && pausedShare <= MOST_PAUSED) {
        accepted.add((s[0] - s[1]) / (1 - pausedShare));
      }
    }
    if (accepted.isEmpty()) {
      return pausedSeconds >= 0.5 * refusing && refusing > 0 ? paused(share, config, pausedSeconds, refusing)
          : share + ": lower PYTEST_MAX_CONCURRENT_REQUESTS or raise PYTEST_RATE_LIMIT_DELAY";
    }
    accepted.sort(null);
    double perSecond = accepted.get(accepted.size() / 2);
    String unpaused = pausedSeconds < 0.05 ? "" : String.format(Locale.ROOT, " (not counting the %.1f s Retry-After paused it)", pausedSeconds);
    double spacing = 1 / perSecond;
    double suggested = Math.ceil(spacing * MARGIN * 1000 - 1e-6) / 1000; // up to the next ms, 0.0550000001 being 0.055
    double current = config.rateLimitDelay().toNanos() / 1e9;
    if (suggested <= current) {
      return String.format(Locale.ROOT, "%s although starts were already %.3f s apart (the API took about %.1f requests/s): it "
          + "limits requests in flight, or others use its quota; lower PYTEST_MAX_CONCURRENT_REQUESTS (now %d)", share, current,
          perSecond, config.maxConcurrentRequests());
    }
    return String.format(Locale.ROOT, "%s: in the seconds it refused some, the API took about %.1f requests/s%s, a spacing of %.3f s; "
        + "set PYTEST_RATE_LIMIT_DELAY=%.3f (10%% above it)", share, perSecond, unpaused, spacing, suggested);
  }

  /**
   * 429s whose {@code Retry-After} paused the run for most of every second it refused some: what the API
   * takes cannot be read from such seconds (a strict API that answers each refusal with a long pause lets one
   * request through a pause), so no delay is computed; the spacing it refused is a floor to raise from.
   */
  private static String paused(String share, RateLimitConfig config, double pausedSeconds, int refusing) {
    double current = config.rateLimitDelay().toNanos() / 1e9;
    String step = current > 0 ? String.format(Locale.ROOT, "try %.3f, twice the delay", 2 * current) : "try 0.100, the default";
    String raise = "raise PYTEST_RATE_LIMIT_DELAY step by step (" + step + ") and look again";
    String refusedStarts = current > 0 ? String.format(Locale.ROOT, "it refused starts %.3f s apart", current)
        : "it refused starts not spaced at all (PYTEST_RATE_LIMIT_DELAY=0)";
    return String.format(Locale.ROOT, "%s, and Retry-After paused the run for %.1f s of the %d s it refused some: how many requests/s "
        + "the API takes cannot be read from paused seconds; between pauses %s: %s", share, pausedSeconds,
        refusing, refusedStarts, config.adaptiveDelay() ? raise
            : "set PYTEST_ADAPTIVE_DELAY=true, which learns the spacing the API needs from its refusals, or " + raise);
  }

  /** The effective delay the workers ended with (the median of each worker's last sample), if the timeline has one. */
  static java.util.OptionalDouble settledDelayMs(Map<String, List<Timeline.Sample>> timeline) {
    double[] last = timeline.values().stream()
        .map(samples -> samples.stream().filter(s -> s.delayMs() >= 0).max(Comparator.comparingLong(Timeline.Sample::epochSecond)))
        .filter(java.util.Optional::isPresent).mapToDouble(s -> s.get().delayMs()).sorted().toArray();
    return last.length == 0 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(last[last.length / 2]);
  }

  /** Which limit bound: the spacing when the busiest second came near it, else the cap. */
  private static String looser(RateLimitConfig config, Map<String, List<Timeline.Sample>> timeline) {
    double delay = config.rateLimitDelay().toNanos() / 1e9;
    long busiest = perSecond(timeline).values().stream().mapToLong(s -> s[0]).max().orElse(0);
    if (delay > 0 && busiest >= 0.8 / delay) {
      return String.format(Locale.ROOT, "PYTEST_RATE_LIMIT_DELAY=%.3f (now %.3f; the busiest second sent %d requests)",
          Math.floor(delay * 0.9 * 1000 + 1e-6) / 1000, delay, busiest); // 10% less: one step, then look again
    }
    return String.format(Locale.ROOT, "PYTEST_MAX_CONCURRENT_REQUESTS=%d (now %d)", (int) Math.ceil(config.maxConcurrentRequests() * 1.5),
        config.maxConcurrentRequests());
  }

  /**
   * Per epoch second, how many ms of it the run's starts were paused: the most any worker heard of (a pause
   * is run-wide; a worker that heard of it late counts less of it).
   */
  static Map<Long, Long> pausedPerSecond(Map<String, List<Timeline.Sample>> timeline) {
    Map<Long, Long> out = new TreeMap<>();
    for (List<Timeline.Sample> samples : timeline.values()) {
      List<Timeline.Sample> sorted = new ArrayList<>(samples);
      sorted.sort(Comparator.comparingLong(Timeline.Sample::epochSecond));
      long previous = 0;
      for (Timeline.Sample s : sorted) {
        out.merge(s.epochSecond(), Math.max(0, s.pausedMs() - previous), Math::max);
        previous = s.pausedMs();
      }
    }
    return out;
  }

  /** Every worker's attempts (requests plus retries) and 429s per epoch second, summed. */
  static Map<Long, long[]> perSecond(Map<String, List<Timeline.Sample>> timeline) {
    Map<Long, long[]> out = new TreeMap<>();
    for (List<Timeline.Sample> samples : timeline.values()) {
      List<Timeline.Sample> sorted = new ArrayList<>(samples);
      sorted.sort(Comparator.comparingLong(Timeline.Sample::epochSecond));
      Timeline.Sample previous = null;
      for (Timeline.Sample s : sorted) {
        long attempts = s.requests() + s.retries() - (previous == null ? 0 : previous.requests() + previous.retries());
        long limited = s.rateLimited() - (previous == null ? 0 : previous.rateLimited());
        long[] slot = out.computeIfAbsent(s.epochSecond(), k -> new long[2]);
        slot[0] += Math.max(0, attempts);
        slot[1] += Math.max(0, limited);
        previous = s;
      }
    }
    return out;
  }
}
