package io.ratelimit.core.internal;

/**
 * The outcomes of the run's most recent attempts (429 or not), over a window of fixed size, from which
 * the share of 429s that can switch the run to sequential is computed.
 */
public interface AttemptWindow {

  /** How many recent attempts the window holds: the last 50. */
  int SIZE = 50;

  /** Adds one attempt's outcome, pushing out the oldest once the window is full. */
  void record(boolean rateLimited);

  /** The window as last known: how many attempts it holds and how many of them were 429s. */
  Share share();

  /**
   * @param attempts attempts in the window (up to {@link #SIZE})
   * @param rateLimited how many of them were answered 429
   */
  record Share(int attempts, int rateLimited) {

    /** Share of 429s, 0 when empty. */
    public double rate() {
      return attempts == 0 ? 0 : (double) rateLimited / attempts;
    }

    /** True when the window is full and its 429 share is above {@code threshold}. */
    public boolean exceeds(double threshold) {
      return attempts >= SIZE && rate() > threshold;
    }
  }
}
