package io.ratelimit.junit.internal;

import java.util.List;

/**
 * A test's verdict in the report, from how each of its executions ended. A test that Surefire's
 * {@code rerunFailingTestsCount} runs again is seen twice under the same unique id in one launcher session:
 * its verdict says what the re-run made of the first outcome ("throttled, passed on re-run"). Where a test
 * has several verdicts (its parameterized invocations, its runs on several workers) the worst one stands, in
 * the order below, worst last.
 */
enum Verdict {
  /** Every execution aborted (JUnit's skipped: an assumption, a pool that could not be had). */
  ABORTED("aborted"),
  PASSED("passed"),
  /** Failed, then passed when run again: flaky, or fixed by the wait. */
  FAILED_PASSED_ON_RERUN("failed, passed on re-run"),
  /** Throttled, then passed when run again: the API refused it for a while, nothing more. */
  THROTTLED_PASSED_ON_RERUN("throttled, passed on re-run"),
  /** The limiter gave up on one of its requests: it says nothing about the code under test. */
  THROTTLED("throttled"),
  FAILED("failed");

  /** How one execution of a test ended. */
  enum Outcome { PASSED, FAILED, ABORTED, THROTTLED }

  private final String label;

  Verdict(String label) {
    this.label = label;
  }

  /** The verdict's words in the report. */
  String label() {
    return label;
  }

  /** The verdict of one test execution id from its executions, in order (a re-run appends to them). */
  static Verdict of(List<Outcome> executions) {
    Outcome last = executions.get(executions.size() - 1);
    switch (last) {
      case FAILED:
        return FAILED;
      case THROTTLED:
        return THROTTLED;
      case ABORTED:
        return ABORTED;
      default:
        if (executions.contains(Outcome.THROTTLED)) {
          return THROTTLED_PASSED_ON_RERUN;
        }
        return executions.contains(Outcome.FAILED) ? FAILED_PASSED_ON_RERUN : PASSED;
    }
  }

  /** The verdict with the given words, or null for none (a document of a build without verdicts). */
  static Verdict ofLabel(String label) {
    for (Verdict v : values()) {
      if (v.label.equals(label)) {
        return v;
      }
    }
    return null;
  }

  /** The worse of two verdicts of one test's labels (either may be null: no verdict known). */
  static String worse(String a, String b) {
    Verdict x = a == null ? null : ofLabel(a);
    Verdict y = b == null ? null : ofLabel(b);
    if (x == null) {
      return y == null ? null : y.label;
    }
    return y == null || x.compareTo(y) >= 0 ? x.label : y.label;
  }
}
