package io.ratelimit.junit.internal;

import io.ratelimit.core.PermitName;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.SharedPermit;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import io.ratelimit.core.spi.Logs;
import org.slf4j.Logger;

/**
 * When a test may start, across every worker of the run. A test holds the {@code tests} permit while it
 * runs: with a huge cap when the run is parallel, with cap 1 (it waits until no other test runs) when the
 * run is sequential or the test must run alone. Such an exclusive test also holds the {@code tests:gate}
 * permit for its whole run, and every test passes that gate on its way in, so none starts meanwhile.
 * Category caps are permits named after the test's tags. Permits are always taken in the same order.
 *
 * <p>A JUnit {@code @Isolated} class takes the exclusive turn for its whole life, from its
 * {@code @BeforeAll} on; its own tests then run inside that turn and take only their category caps (they
 * would otherwise wait for their own class).
 */
final class TestGates {
  private static final Logger LOG = Logs.get(TestGates.class);
  private static final int PARALLEL_CAP = Integer.MAX_VALUE / 2;
  private static final Duration LONG_WAIT = Duration.ofSeconds(30);

  private final RateLimitCoordinator coordinator;
  private final Map<String, Integer> categoryLimits;
  private final Duration timeout;

  TestGates(RateLimitCoordinator coordinator, Map<String, Integer> categoryLimits, Duration timeout) {
    this.coordinator = coordinator;
    this.categoryLimits = categoryLimits;
    this.timeout = timeout;
  }

  /**
   * Waits for the test's turn; the returned handle ends it.
   *
   * @param alone the test runs alone: it waits until no other test runs, and none starts meanwhile
   * @param insideAlone the test runs inside its class's turn alone ({@code @Isolated}), which it must not wait for
   */
  AutoCloseable enter(String testName, Set<String> tags, boolean alone, boolean insideAlone) throws InterruptedIOException {
    Deque<SharedPermit> held = new ArrayDeque<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      boolean exclusive = !insideAlone && (alone || coordinator.runMode().sequential());
      if (insideAlone) {
        LOG.debug("ratelimit-testkit: {} runs inside its class's turn alone", testName);
      } else if (exclusive) {
        SharedPermit gate = take(PermitName.testTurnstile(), 1, deadline, testName);
        held.push(gate);
        held.push(take(PermitName.tests(), 1, deadline, testName));
      } else {
        SharedPermit gate = take(PermitName.testTurnstile(), 1, deadline, testName);
        try {
          held.push(take(PermitName.tests(), PARALLEL_CAP, deadline, testName));
        } finally {
          gate.close(); // only passed through
        }
      }
      for (String tag : new TreeSet<>(tags)) {
        Integer cap = categoryLimits.get(tag);
        if (cap != null) {
          held.push(take(PermitName.category(tag), cap, deadline, testName));
        }
      }
      LOG.debug("ratelimit-testkit: {} starts{} after {} ms waiting for its turn", testName, exclusive ? " alone" : "",
          Duration.ofNanos(System.nanoTime() - (deadline - timeout.toNanos())).toMillis());
      return () -> held.forEach(SharedPermit::close);
    } catch (InterruptedIOException | RuntimeException e) {
      held.forEach(SharedPermit::close);
      throw e;
    }
  }

  private SharedPermit take(PermitName name, int cap, long deadline, String testName) throws InterruptedIOException {
    long start = System.nanoTime();
    Optional<SharedPermit> permit = coordinator.acquire(name, cap, Duration.ofNanos(Math.min(LONG_WAIT.toNanos(), deadline - start)));
    while (permit.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TestSlotTimeoutException("ratelimit-testkit: " + testName + " waited " + timeout.toSeconds()
            + " s (PYTEST_TEST_SLOT_TIMEOUT) for its turn on '" + name.key() + "' (" + coordinator.permitsHeld(name)
            + " held, cap " + (cap == PARALLEL_CAP ? "none" : cap) + "); giving up rather than hang the build");
      }
      LOG.info("ratelimit-testkit: {} has waited {} s for '{}' ({} held, cap {})", testName,
          Duration.ofNanos(System.nanoTime() - start).toSeconds(), name.key(), coordinator.permitsHeld(name), cap == PARALLEL_CAP ? "none" : cap);
      permit = coordinator.acquire(name, cap, Duration.ofNanos(Math.min(LONG_WAIT.toNanos(), left)));
    }
    return permit.get();
  }

  /** A test's turn did not come within {@code PYTEST_TEST_SLOT_TIMEOUT}. */
  static final class TestSlotTimeoutException extends RuntimeException {
    TestSlotTimeoutException(String message) {
      super(message);
    }
  }
}
