package io.ratelimit.junit.internal;

import java.io.InterruptedIOException;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a test class holds for its whole life, from its {@code @BeforeAll} until JUnit closes its store:
 * the run-wide leases of its JUnit locks and its descendants', and, for an {@code @Isolated} class, the
 * turn alone across the run. Kept in the class's store before anything is taken, so a failure half-way
 * still ends what was taken: JUnit 6 closes it there as an {@code AutoCloseable}, JUnit 5 before 5.13 only
 * as a {@code CloseableResource}.
 */
@SuppressWarnings("deprecation")
public final class ClassHold implements AutoCloseable, org.junit.jupiter.api.extension.ExtensionContext.Store.CloseableResource {
  private final RateLimitSession session;
  private final String owner;
  private final boolean alone;
  private TestLeases leases;
  private AutoCloseable turn;

  /**
   * A hold covers the locks of every test below it (an enclosing class's hold covers a nested class's).
   *
   * @param alone its tests run inside a turn alone: its own ({@code @Isolated}) or an enclosing class's
   */
  public ClassHold(RateLimitSession session, String owner, boolean alone) {
    this.session = session;
    this.owner = owner;
    this.alone = alone;
  }

  /** Whether the tests below it run inside a turn alone, which they must not wait for. */
  public boolean alone() {
    return alone;
  }

  /**
   * Takes the leases (in name order), then, if {@code isolate}, the turn alone: leases before turns, as
   * every test takes them, so that no class waits for a lease while it keeps every other test out.
   */
  public synchronized void take(SortedMap<String, Boolean> locks, boolean isolate) throws InterruptedIOException {
    if (!locks.isEmpty()) {
      leases = new TestLeases(session.coordinator(), owner);
      leases.take(locks, new TreeMap<String, Map.Entry<Integer, String>>());
    }
    if (isolate) {
      turn = session.gates().enter(owner, Set.of(), true, false);
    }
  }

  /** Ends the turn, then the leases; closing twice does nothing. */
  @Override
  public synchronized void close() throws Exception {
    try {
      if (turn != null) {
        turn.close();
        turn = null;
      }
    } finally {
      if (leases != null) {
        leases.close();
        leases = null;
      }
    }
  }
}
