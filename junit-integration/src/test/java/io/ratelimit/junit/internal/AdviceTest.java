package io.ratelimit.junit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The advice line from the figures of a run, one rule at a time. */
class AdviceTest {
  private static final RateLimitConfig CONFIG = RateLimitConfig.builder().rateLimitDelay(Duration.ofMillis(30)).maxConcurrentRequests(8)
      .adaptiveDelay(false).build();
  private static final RateLimitConfig ADAPTIVE = CONFIG.toBuilder().adaptiveDelay(true).build();
  private static final ReportData.Suite SUITE = new ReportData.Suite(20_000, 100_000, 5, 52, 4);

  private static ApiStats totals(long attempts, long rateLimited, long permitWaitMs) {
    return new ApiStats(attempts, attempts, rateLimited, 0, 0, 0, 0, 0, 0, 0, permitWaitMs, 0, Map.of());
  }

  private static ReportData.TestFigures test(long turnMs, long leaseMs) {
    return new ReportData.TestFigures(1, 1000, 1, 1, 0, 0, 0, turnMs, leaseMs, 0, "passed");
  }

  /** One worker sending {@code perSecond} attempts a second, {@code refused} of them answered 429, for {@code seconds}. */
  private static Map<String, List<Timeline.Sample>> timeline(int seconds, int perSecond, int refused) {
    List<Timeline.Sample> samples = new ArrayList<>();
    for (int s = 0; s <= seconds; s++) {
      samples.add(new Timeline.Sample(1_000 + s, (long) s * perSecond, (long) s * refused, 0, 50));
    }
    return Map.of("w1", samples);
  }

  @Test
  void with429sItSaysWhatSpacingTheApiTook() {
    // 25 attempts a second, 5 refused: the API took 20 a second, a spacing of 0.050 s; 0.055 with the margin
    String advice = Advice.of(totals(250, 50, 0), CONFIG, SUITE, timeline(10, 25, 5), Map.of(), Map.of(), Map.of());
    assertEquals("20.0% of attempts were answered 429: in the seconds it refused some, the API took about 20.0 requests/s, a spacing "
        + "of 0.050 s; set PYTEST_RATE_LIMIT_DELAY=0.055 (10% above it)", advice);
  }

  /** One worker whose effective delay went from {@code from} ms to {@code to} ms over the run. */
  private static Map<String, List<Timeline.Sample>> delays(double from, double peak, double to) {
    return Map.of("w1", List.of(new Timeline.Sample(1_000, 0, 0, 0, from), new Timeline.Sample(1_001, 20, 3, 0, peak),
        new Timeline.Sample(1_002, 40, 3, 0, to)));
  }

  @Test
  void whatTheApiTaughtTheRunIsTheAdviceForEachNamedApi() {
    String advice = Advice.of(totals(400, 2, 0), ADAPTIVE, SUITE, delays(50, 56, 51), Map.of(), Map.of(),
        new java.util.TreeMap<>(Map.of("default", new ReportData.Learned(50, 51), "billing", new ReportData.Learned(100, 102.01))));
    assertEquals("API 'billing' needed 102 ms between starts, not 100; the API needed 51 ms between starts, not 50: 2 429s (0.5% of "
        + "attempts) taught the run that margin and it kept it; set PYTEST_API_BILLING_RATE_LIMIT_DELAY=0.103 and "
        + "PYTEST_RATE_LIMIT_DELAY=0.051", advice);
  }

  @Test
  void withAnAdaptiveDelayThatCameBackTheAdviceIsToChangeNothing() {
    String advice = Advice.of(totals(40, 3, 0), ADAPTIVE, SUITE, delays(30, 45, 30.4), Map.of(), Map.of(), Map.of());
    assertEquals("7.5% of attempts were answered 429; the adaptive delay answered them (it widened to 45 ms at most and came back to 30 ms, "
        + "PYTEST_RATE_LIMIT_DELAY being its floor): nothing to change", advice);
  }

  @Test
  void withAnAdaptiveDelayThatStayedWideTheAdviceIsWhereItSettled() {
    String advice = Advice.of(totals(40, 3, 0), ADAPTIVE, SUITE, delays(30, 60, 41.2), Map.of(), Map.of(), Map.of());
    assertEquals("7.5% of attempts were answered 429; the adaptive delay settled at 41 ms, above PYTEST_RATE_LIMIT_DELAY (30 ms): the API "
        + "takes less than the limits say; set PYTEST_RATE_LIMIT_DELAY=0.042", advice);
  }

  @Test
  void with429sDespiteAWideSpacingItPointsAtTheCap() {
    String advice = Advice.of(totals(250, 50, 0), CONFIG.toBuilder().rateLimitDelay(Duration.ofMillis(100)).build(), SUITE,
        timeline(10, 25, 5), Map.of(), Map.of(), Map.of());
    assertTrue(advice.contains("although starts were already 0.100 s apart") && advice.contains("PYTEST_MAX_CONCURRENT_REQUESTS (now 8)"), advice);
  }

  @Test
  void permitWaitsWithNo429MeanTheLimitsMayBeTight() {
    String advice = Advice.of(totals(140, 0, 18_000), CONFIG, SUITE, timeline(20, 7, 0), Map.of(), Map.of(), Map.of());
    assertTrue(advice.startsWith("no 429 and 18.0 s of permit waits (18% of the tests' time): the limits may be tighter than the API needs"),
        advice);
    assertTrue(advice.contains("PYTEST_MAX_CONCURRENT_REQUESTS=12 (now 8)"), "7 a second is far from the spacing's 33: the cap bound: " + advice);
    String spaced = Advice.of(totals(600, 0, 18_000), CONFIG, SUITE, timeline(20, 30, 0), Map.of(), Map.of(), Map.of());
    assertTrue(spaced.contains("PYTEST_RATE_LIMIT_DELAY=0.027 (now 0.030; the busiest second sent 30 requests)"), spaced);
  }

  @Test
  void longLeaseWaitsComeBeforePermitWaits() {
    String advice = Advice.of(totals(140, 0, 18_000), CONFIG, SUITE, timeline(20, 7, 0),
        Map.of("shared-account", new ReportData.LeaseWaits(3, 0, 30_000, 20_000)), Map.of("A#a", test(0, 30_000)), Map.of());
    assertTrue(advice.startsWith("tests waited 30.0 s for shared resources (30% of the tests' time), most for 'shared-account' (30.0 s)"),
        advice);
  }

  @Test
  void otherwiseTheLimitsFit() {
    assertEquals("0 429s and 0.5 s of permit waits (1% of the tests' time): the limits fit this suite; nothing to change",
        Advice.of(totals(140, 0, 500), CONFIG, SUITE, timeline(20, 7, 0), Map.of(), Map.of("A#a", test(100, 0)), Map.of()));
  }

  @Test
  void theTimeAxisHasAtMostTenTicksOfOneTwoOrFive() {
    assertEquals(1, HtmlReport.tickStep(7));
    assertEquals(2, HtmlReport.tickStep(20));
    assertEquals(5, HtmlReport.tickStep(42));
    assertEquals(10, HtmlReport.tickStep(61));
    assertEquals(50, HtmlReport.tickStep(420));
  }
}
