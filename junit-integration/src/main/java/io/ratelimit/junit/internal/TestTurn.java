package io.ratelimit.junit.internal;

import java.io.InterruptedIOException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/** One test's turn to run: the permits it holds and its own run time, which counts toward the suite's. */
public final class TestTurn implements AutoCloseable {
  private final RateLimitSession session;
  private final String test;
  private final AutoCloseable permits;
  private final long startNanos = System.nanoTime();
  private final AtomicBoolean closed = new AtomicBoolean();

  private TestTurn(RateLimitSession session, String test, AutoCloseable permits) {
    this.session = session;
    this.test = test;
    this.permits = permits;
  }

  /**
   * Waits (bounded) until the test may start.
   *
   * @param test the test's name in the report ({@code Class#method})
   * @param testName its display name, for messages
   * @param insideAlone it runs inside its {@code @Isolated} class's turn alone (see {@link ClassHold})
   */
  public static TestTurn start(RateLimitSession session, String test, String testName, Set<String> tags, boolean alone,
      boolean insideAlone) throws InterruptedIOException {
    return new TestTurn(session, test, session.gates().enter(testName, tags, alone, insideAlone));
  }

  /** Ends the turn: gives the permits back and counts the test's time. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      session.testRan(test, System.nanoTime() - startNanos);
      try {
        permits.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
