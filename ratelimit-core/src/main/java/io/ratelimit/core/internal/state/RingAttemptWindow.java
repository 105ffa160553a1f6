package io.ratelimit.core.internal.state;

/** An {@link AttemptWindow} in this JVM: a ring of the last {@link #SIZE} outcomes. */
public final class RingAttemptWindow implements AttemptWindow {
  private final boolean[] ring = new boolean[SIZE];
  private int next;
  private int attempts;
  private int rateLimited;

  @Override
  public synchronized void record(boolean wasRateLimited) {
    if (attempts == SIZE) {
      rateLimited -= ring[next] ? 1 : 0;
    } else {
      attempts++;
    }
    ring[next] = wasRateLimited;
    rateLimited += wasRateLimited ? 1 : 0;
    next = (next + 1) % SIZE;
  }

  @Override
  public synchronized Share share() {
    return new Share(attempts, rateLimited);
  }
}
