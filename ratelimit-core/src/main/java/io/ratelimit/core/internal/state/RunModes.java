package io.ratelimit.core.internal.state;

import io.ratelimit.core.RunMode;

/** Whether the run is parallel or sequential, and the window of recent attempts that decides it. */
public interface RunModes {
  /** The outcomes of the most recent attempts of every worker sharing this state. */
  AttemptWindow recentAttempts();

  /** The current run mode: parallel, or sequential since when and why. */
  RunMode runMode();

  /**
   * Switches the whole run to {@code sequential}; the first switch wins and later calls change nothing.
   *
   * @return the run mode after the call: equal to {@code sequential} only for the call that switched
   */
  RunMode switchToSequential(RunMode sequential);
}
