package io.ratelimit.core.internal.pacing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.api.Test;

/** The pacing arithmetic, on a virtual clock (nanoseconds). */
class PacingTest {
  private static final long MS = 1_000_000;
  private static final Pacing.Params ADAPTIVE = new Pacing.Params(50 * MS, 400 * MS, true);
  private static final Pacing.Params FIXED = new Pacing.Params(50 * MS, 400 * MS, false);
  /** The adaptive floor before any lesson: the configured 50 ms and its jitter margin. */
  private static final long FLOOR = Pacing.floor(ADAPTIVE, 0);
  /** The floor after one lesson: 4% above it. */
  private static final long LESSON = FLOOR + (long) (FLOOR * Pacing.LEARN_STEP);
  private final Pacing pacing = new Pacing();

  private static Pacing.Feedback refused(Pacing.Slot attempt) {
    return new Pacing.Feedback(attempt.spacingNanos(), attempt.seq(), attempt.learnedNanos(), true, 0, -1, 0);
  }

  private static Pacing.Feedback quota(Pacing.Slot attempt, long remaining, long resetAt) {
    return new Pacing.Feedback(attempt.spacingNanos(), attempt.seq(), attempt.learnedNanos(), false, 0, remaining, resetAt);
  }

  /** Admissions until the start's widening is gone: the spacing is back at the floor. */
  private void settle() {
    while (pacing.reserve(ADAPTIVE, 0).spacingNanos() > FLOOR) {
      // narrowing
    }
  }

  @Test
  void anAdaptiveRunStartsWidenedAndNarrowsToTheFloorWithinItsFirstStarts() {
    assertEquals(50 * MS + (long) (50 * MS * Pacing.JITTER_MARGIN), FLOOR, "the configured delay and its jitter margin");
    Pacing.Slot first = pacing.reserve(ADAPTIVE, 0);
    assertEquals(FLOOR + 5 * MS, first.spacingNanos(), "10% of the delay wider: the run's first seconds are its busiest");
    assertEquals(0, first.learnedNanos(), "a margin for the start, not a lesson");
    long spacing = first.spacingNanos();
    for (int i = 1; i < 20; i++) {
      spacing = pacing.reserve(ADAPTIVE, 0).spacingNanos();
    }
    assertTrue(spacing < FLOOR + 2 * MS, "most of it gone within 20 starts (a second at 20/s): " + spacing);
    settle();
    assertEquals(FLOOR, pacing.reserve(ADAPTIVE, 0).spacingNanos(), "then the floor");
    assertEquals(50 * MS, new Pacing().reserve(FIXED, 0).spacingNanos(), "a static pacing keeps the floor from the start");
  }

  @Test
  void aStartThatLeftLateKeepsTheNextTheConfiguredDelayAndWhatTheSpacingKeepsAboveItLessAnOnTimeStartsLag() {
    long lag = Pacing.ON_TIME_LAG_NANOS;
    assertEquals(FLOOR - lag, Pacing.afterLateStart(ADAPTIVE, FLOOR), "the jitter margin, less an on-time start's lag");
    assertEquals(50 * MS, Pacing.afterLateStart(FIXED, 50 * MS), "a fixed delay has no margin to keep");
    assertEquals(LESSON - lag, Pacing.afterLateStart(ADAPTIVE, LESSON), "what a refusal taught, less the lag");
    assertEquals(50 * MS + MS / 2 / 2, Pacing.afterLateStart(ADAPTIVE, 50 * MS + MS / 2), "at least half a small margin");
    assertEquals(50 * MS, Pacing.afterLateStart(ADAPTIVE, 40 * MS), "never below the configured delay");
  }

  @Test
  void startsAreSpacedByTheFloorAndNumbered() {
    Pacing.Slot a = pacing.reserve(FIXED, 1_000 * MS);
    Pacing.Slot b = pacing.reserve(FIXED, 1_000 * MS);
    assertEquals(1_000 * MS, a.epochNanos());
    assertEquals(1_050 * MS, b.epochNanos());
    assertEquals(1, a.seq());
    assertEquals(2, b.seq());
    assertEquals(50 * MS, b.spacingNanos());
  }

  @Test
  void oneRefusalTeachesAMarginForTheRestOfTheRun() {
    settle();
    Pacing.Slot first = pacing.reserve(ADAPTIVE, 0);
    Pacing.Slot second = pacing.reserve(ADAPTIVE, 0);
    pacing.feedback(ADAPTIVE, refused(first), first.epochNanos() + 20 * MS);
    pacing.feedback(ADAPTIVE, refused(second), second.epochNanos() + 20 * MS); // reserved before the lesson: no second one
    assertEquals(1, pacing.lessons());
    assertEquals(LESSON - 50 * MS, pacing.learnedNanos(), "4% above the floor, as a margin above the configured 50 ms");
    Pacing.Slot wider = pacing.reserve(ADAPTIVE, 0);
    long widening = (long) (LESSON * Pacing.WIDEN) - LESSON;
    assertEquals(LESSON + widening * 19 / 20, wider.spacingNanos(), 0.3 * MS,
        "widened for a while to 10% above the learned floor (less one admission's narrowing)");
    assertEquals(LESSON - 50 * MS, wider.learnedNanos());
    long spacing = wider.spacingNanos();
    int admissions = 0;
    while (spacing > LESSON) {
      spacing = pacing.reserve(ADAPTIVE, 0).spacingNanos();
      admissions++;
      if (admissions == 20) {
        double left = (double) (spacing - LESSON) / widening;
        assertTrue(left > 0.25 && left < 0.45, "a decay: about a third of the widening left after 20: " + left);
      }
    }
    for (int i = 0; i < 1_000; i++) {
      spacing = Math.min(spacing, pacing.reserve(ADAPTIVE, 0).spacingNanos());
    }
    assertEquals(LESSON, spacing, "back at the learned floor, never below it");
  }

  @Test
  void aRefusalAtTheLearnedFloorTeachesOneStepMore() {
    settle();
    Pacing.Slot first = pacing.reserve(ADAPTIVE, 0);
    pacing.feedback(ADAPTIVE, refused(first), 1);
    Pacing.Slot widened = pacing.reserve(ADAPTIVE, 0);
    pacing.feedback(ADAPTIVE, refused(widened), 2); // at a spacing above the next lesson's: jitter, no lesson
    assertEquals(1, pacing.lessons());
    Pacing.Slot later = pacing.reserve(ADAPTIVE, 0);
    while (later.spacingNanos() > LESSON) {
      later = pacing.reserve(ADAPTIVE, 0);
    }
    pacing.feedback(ADAPTIVE, refused(later), 3); // at the learned floor: one step more
    assertEquals(2, pacing.lessons());
    assertEquals(LESSON * 1.04, 50 * MS + pacing.learnedNanos(), 0.01 * MS, "two steps of 4%");
    for (int wide = 1; wide <= 2; wide++) {
      Pacing.Slot again = pacing.reserve(ADAPTIVE, 0); // widened: above what the next lesson would set
      pacing.feedback(ADAPTIVE, refused(again), 3 + wide);
    }
    assertEquals(3, pacing.lessons(), "a second refusal at a wider spacing says the API needs more");
  }

  @Test
  void refusalsThatSayNothingAboutSpacingTeachNothing() {
    settle();
    long now = 1_000 * MS;
    Pacing.Slot reporter = pacing.reserve(ADAPTIVE, now);
    Pacing.Slot beyond = pacing.reserve(ADAPTIVE, now); // went before the report came back
    pacing.feedback(ADAPTIVE, quota(reporter, 0, now + 5_000 * MS), now + 20 * MS);
    pacing.feedback(ADAPTIVE, refused(beyond), now + 70 * MS);
    assertEquals(0, pacing.lessons(), "a refusal beyond a spent quota is the window's, not the spacing's");
    assertEquals(0, pacing.learnedNanos());
  }

  @Test
  void theSpacingNeverPassesItsCeilingNorWidensWhenFixed() {
    for (int i = 0; i < 100; i++) {
      Pacing.Slot s = pacing.reserve(ADAPTIVE, 0);
      pacing.feedback(ADAPTIVE, refused(s), s.epochNanos() + 1); // refused at every spacing: widens every time
    }
    long widest = pacing.reserve(ADAPTIVE, 0).spacingNanos();
    assertTrue(widest <= 400 * MS && widest > 375 * MS, "at the ceiling, less one admission's narrowing: " + widest);
    assertTrue(pacing.learnedNanos() <= 350 * MS, "the learned floor within the ceiling too: " + pacing.learnedNanos());
    Pacing fixed = new Pacing();
    Pacing.Params params = Pacing.Params.fixed(50 * MS);
    Pacing.Slot s = fixed.reserve(params, 0);
    fixed.feedback(params, refused(s), s.epochNanos() + 1);
    assertEquals(50 * MS, fixed.reserve(params, 0).spacingNanos());
  }

  @Test
  void aPauseHoldsEveryLaterStart() {
    Pacing.Slot s = pacing.reserve(ADAPTIVE, 1_000 * MS);
    pacing.feedback(ADAPTIVE, new Pacing.Feedback(s.epochNanos(), s.seq(), 0, true, 3_000 * MS, -1, 0), 1_020 * MS);
    Pacing.Slot next = pacing.reserve(ADAPTIVE, 1_030 * MS);
    assertEquals(3_000 * MS, next.epochNanos());
    assertEquals(3_000 * MS, next.pausedUntil());
  }

  @Test
  void aQuotaIsSpreadOverItsWindowAndNeverOverspent() {
    long now = 1_000 * MS;
    Pacing.Slot reporter = pacing.reserve(ADAPTIVE, now);
    // the window takes 10 more after the reporter, and resets 5 s later
    pacing.feedback(ADAPTIVE, quota(reporter, 10, now + 5_000 * MS), now + 20 * MS);
    long last = 0;
    for (int i = 0; i < 10; i++) {
      Pacing.Slot s = pacing.reserve(ADAPTIVE, now + 20 * MS);
      assertTrue(s.epochNanos() < now + 5_000 * MS, "the 10 fit in the window");
      last = s.epochNanos();
    }
    assertTrue(last > now + 4_000 * MS, "spread over the window, not sent at once: " + (last - now) / MS + " ms");
    Pacing.Slot eleventh = pacing.reserve(ADAPTIVE, now + 20 * MS);
    assertTrue(eleventh.epochNanos() >= now + 5_000 * MS, "the eleventh waits for the reset");
  }

  @Test
  void attemptsThatStartedAfterTheReporterCountAgainstItsQuota() {
    long now = 1_000 * MS;
    Pacing.Slot reporter = pacing.reserve(ADAPTIVE, now);
    pacing.reserve(ADAPTIVE, now);
    pacing.reserve(ADAPTIVE, now); // two more went before the report came back
    pacing.feedback(ADAPTIVE, quota(reporter, 2, now + 5_000 * MS), now + 120 * MS);
    assertTrue(pacing.reserve(ADAPTIVE, now + 120 * MS).epochNanos() >= now + 5_000 * MS, "the quota is spent already");
  }

  @Test
  void aSpentQuotaPausesUntilTheReset() {
    Pacing.Slot s = pacing.reserve(ADAPTIVE, 0);
    pacing.feedback(ADAPTIVE, quota(s, 0, 2_000 * MS), 10 * MS);
    assertEquals(2_000 * MS, pacing.reserve(ADAPTIVE, 20 * MS).pausedUntil());
  }

  @Test
  void aSpentQuotaPausesUntilTheEarliestResetItsWindowReported() {
    // whole seconds rounded up: a report 4.9 s before the reset says 5 s, the last one (0.2 s before) says 1 s
    Pacing.Slot early = pacing.reserve(ADAPTIVE, 100 * MS);
    pacing.feedback(ADAPTIVE, quota(early, 10, 100 * MS + 5_000 * MS), 100 * MS);
    Pacing.Slot last = pacing.reserve(ADAPTIVE, 4_800 * MS);
    pacing.feedback(ADAPTIVE, quota(last, 0, 4_800 * MS + 1_000 * MS), 4_800 * MS);
    assertEquals(5_100 * MS, pacing.reserve(ADAPTIVE, 4_810 * MS).epochNanos(),
        "the new window's first start at the reset the earlier report pinned, not 0.7 s after it");
  }

  @Test
  void aLateReportFromAWindowAlreadyOverDoesNotPassForANewOne() {
    settle();
    long t = pacing.reserve(ADAPTIVE, 0).epochNanos() + 1_000 * MS; // after the settling starts
    Pacing.Slot reporter = pacing.reserve(ADAPTIVE, t);
    pacing.feedback(ADAPTIVE, quota(reporter, 1, t + 4_000 * MS), t + 20 * MS); // one more until the reset, 4 s on
    Pacing.Slot last = pacing.reserve(ADAPTIVE, t + 20 * MS);
    Pacing.Slot nextWindow = pacing.reserve(ADAPTIVE, t + 20 * MS);
    assertEquals(t + 4_000 * MS, nextWindow.epochNanos(), "spent: the next start waits for the reset");
    // the last one's answer comes late: spent, with the time left rounded up to a whole second
    pacing.feedback(ADAPTIVE, quota(last, 0, t + 4_950 * MS), t + 3_950 * MS);
    assertEquals(t + 4_000 * MS + FLOOR, pacing.reserve(ADAPTIVE, t + 3_960 * MS).epochNanos(),
        "the new window goes on at the spacing: the old window's last report neither pauses it nor spends it");
  }

  @Test
  void survivesItsBinaryForm() throws Exception {
    Pacing.Slot s = pacing.reserve(ADAPTIVE, 0);
    pacing.feedback(ADAPTIVE, refused(s), 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    pacing.writeTo(new DataOutputStream(bytes));
    Pacing copy = Pacing.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertEquals(pacing.reserve(ADAPTIVE, 0), copy.reserve(ADAPTIVE, 0));
  }
}
