package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.state.AttemptWindow;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.RunMode;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * Feeds each attempt's outcome to the run's window of recent attempts and switches the whole run to
 * sequential once the share of 429s in a full window passes {@code PYTEST_ERROR_THRESHOLD}. The worker
 * whose switch wins logs it, once, with the figures that caused it.
 */
public final class SequentialSwitch {
  private static final Logger LOG = Logs.get(SequentialSwitch.class);

  private final LimiterState state;
  private final double threshold;

  /**
   * @param state the shared state holding the window and the run mode
   * @param threshold share of 429s above which the run goes sequential
   */
  public SequentialSwitch(LimiterState state, double threshold) {
    this.state = state;
    this.threshold = threshold;
  }

  /** Records one attempt's outcome and switches the run if the window now passes the threshold. */
  public void attempted(boolean rateLimited) {
    AttemptWindow window = state.modes().recentAttempts();
    window.record(rateLimited);
    if (!rateLimited || state.modes().runMode().sequential()) {
      return;
    }
    AttemptWindow.Share share = window.share();
    if (share.exceeds(threshold)) {
      String reason = String.format(Locale.ROOT,
          "%d of the last %d attempts were answered 429 (%.0f%%), above PYTEST_ERROR_THRESHOLD=%s",
          share.rateLimited(), share.attempts(), 100 * share.rate(), threshold);
      RunMode wanted = RunMode.sequentialSince(Instant.now(), reason);
      if (state.modes().switchToSequential(wanted).equals(wanted)) { // only the call that switched, run-wide
        LOG.warn("ratelimit-testkit: switching the run to sequential: {}. From now on one request is in flight at a time.", reason);
      }
    }
  }
}
