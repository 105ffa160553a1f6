package io.ratelimit.junit.internal;

import java.io.InterruptedIOException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/** One test's turn to run: the permits it holds and its own run time, which counts toward the suite's. */
public final class TestTurn implements AutoCloseable {
  private final RateLimitSession session;
  private final AutoCloseable permits;
  private final long startNanos = System.nanoTime();
  private final AtomicBoolean closed = new AtomicBoolean();

  private TestTurn(RateLimitSession session, AutoCloseable permits) {
    this.session = session;
    this.permits = permits;
  }

  /** Waits (bounded) until the test may start. */
  public static TestTurn start(RateLimitSession session, String testName, Set<String> tags, boolean alone) throws InterruptedIOException {
    return new TestTurn(session, session.gates().enter(testName, tags, alone));
  }

  /** Ends the turn: gives the permits back and counts the test's time. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      session.testRan(System.nanoTime() - startNanos);
      try {
        permits.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
