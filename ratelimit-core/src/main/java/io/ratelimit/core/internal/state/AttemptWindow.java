package io.ratelimit.core.internal.state;

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

  /**
   * The packed window {@code packed} with one more outcome. A window kept in shared state is one long:
   * the low {@value #SIZE} bits are a shift register of outcomes (1 = 429), the top byte the count.
   */
  static long append(long packed, boolean rateLimited) {
    long count = Math.min(SIZE, (packed >>> 56) + 1);
    long bits = ((packed << 1) | (rateLimited ? 1 : 0)) & ((1L << SIZE) - 1);
    return (count << 56) | bits;
  }

  /** The window a packed value (see {@link #append}) stands for. */
  static Share share(long packed) {
    return new Share((int) (packed >>> 56), Long.bitCount(packed & ((1L << SIZE) - 1)));
  }
}
