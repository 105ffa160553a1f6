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

  /**
   * A suite whose API refuses everything (52 tests, 4 attempts each, every one answered 429): the adaptive
   * delay widened to 121 ms against its 100 ms floor, which used to be advised as the delay to set. No delay
   * fixes an API that takes nothing.
   */
  @Test
  void anApiThatRefusedEveryAttemptIsNotGivenADelay() {
    RateLimitConfig config = ADAPTIVE.toBuilder().rateLimitDelay(Duration.ofMillis(100)).build();
    Map<String, ReportData.TestFigures> tests = new java.util.TreeMap<>();
    for (int t = 1; t <= 52; t++) {
      tests.put("ItemsTest#t" + t, new ReportData.TestFigures(1, 9_000, 1, 4, 4, 3, 100, 0, 0, 1, "throttled"));
    }
    String advice = Advice.of(totals(208, 208, 5_200), config, SUITE, delays(103, 133, 121), Map.of(), tests, Map.of());
    assertEquals("52 test(s) ended throttled, not broken (the limiter gave up on one of their requests); the API refused every attempt "
        + "(208 of 208 answered 429 or 503): no delay or cap fixes that; check the quota of the API account the tests use, their "
        + "credentials, and the limits the API sets for them", advice);
  }

  /**
   * Four workers, a fixed delay of 10 ms (five times too short) against a strict 20 requests/s API (a leaky
   * bucket with no burst) that answers every 429 with {@code Retry-After: 1}: after each pause one request
   * gets through and the next ones are refused, so the run is paused 970 ms of every second. Counted over
   * whole seconds, the API took 1 request/s (the advice used to be PYTEST_RATE_LIMIT_DELAY=1.100); paused
   * seconds say nothing about its rate.
   */
  @Test
  void secondsPausedByRetryAfterAreNotReadAsTheApisRate() {
    RateLimitConfig config = CONFIG.toBuilder().rateLimitDelay(Duration.ofMillis(10)).build();
    Map<String, List<Timeline.Sample>> timeline = new java.util.TreeMap<>();
    for (int w = 1; w <= 4; w++) {
      List<Timeline.Sample> samples = new ArrayList<>();
      for (int s = 0; s <= 30; s++) { // one attempt a second each: worker 1's gets through, the others' are refused
        samples.add(new Timeline.Sample(1_000 + s, (s + 1) / 2, w == 1 ? 0 : s, s / 2, 10, 970L * s));
      }
      timeline.put("fork-" + w, samples);
    }
    String advice = Advice.of(totals(120, 90, 2_000), config, SUITE, timeline, Map.of(), Map.of(), Map.of());
    assertEquals("75.0% of attempts were answered 429, and Retry-After paused the run for 29.1 s of the 30 s it refused some: how many "
        + "requests/s the API takes cannot be read from paused seconds; between pauses it refused starts 0.010 s apart: set "
        + "PYTEST_ADAPTIVE_DELAY=true, which learns the spacing the API needs from its refusals, or raise PYTEST_RATE_LIMIT_DELAY step by "
        + "step (try 0.020, twice the delay) and look again", advice);
    assertTrue(!advice.contains("1.0 requests/s") && !advice.contains("1.100"), advice);
  }

  /** Paused half of every second it refused some: the rate is read from the other half (25 accepted in 0.5 s: 50 a second). */
  @Test
  void theRateIsReadFromTheTimeTheRunWasNotPaused() {
    RateLimitConfig config = CONFIG.toBuilder().rateLimitDelay(Duration.ofMillis(10)).build();
    List<Timeline.Sample> samples = new ArrayList<>();
    for (int s = 0; s <= 10; s++) {
      samples.add(new Timeline.Sample(1_000 + s, 30L * s, 5L * s, 0, 10, 500L * s));
    }
    String advice = Advice.of(totals(300, 50, 0), config, SUITE, Map.of("w1", samples), Map.of(), Map.of(), Map.of());
    assertEquals("16.7% of attempts were answered 429: in the seconds it refused some, the API took about 50.0 requests/s (not counting "
        + "the 5.0 s Retry-After paused it), a spacing of 0.020 s; set PYTEST_RATE_LIMIT_DELAY=0.022 (10% above it)", advice);
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
