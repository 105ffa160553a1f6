package io.ratelimit.core.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.hazelcast.RunDirectory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When an embedded worker's member may start (its start competes with the first requests for the CPU): a JVM that
 * has made a limited client holds it back until its first answer, however long its start takes; a JVM that
 * sends nothing holds it back only for the idle wait. Orderings, with a run directory on the real file
 * system; the bound (30 s) is far beyond every wait here.
 */
class MemberStartHoldTest {
  private static final Duration IDLE = Duration.ofMillis(100);
  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir
  Path tmp;

  private SwitchingLimiterState state() {
    return new SwitchingLimiterState(new RunDirectoryState(RunDirectory.at(tmp.resolve("run")), "w1", new StatsRecorder()),
        Duration.ofSeconds(5));
  }

  private static Thread holding(SwitchingLimiterState state) {
    Thread waiting = new Thread(() -> {
      try {
        state.awaitFirstRelease(IDLE, BOUND);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "member-start-hold");
    waiting.setDaemon(true);
    waiting.start();
    return waiting;
  }

  @Test
  void aJvmThatSendsNothingHoldsItsMemberOnlyForTheIdleWait() throws Exception {
    SwitchingLimiterState state = state();
    try {
      Thread waiting = holding(state);
      waiting.join(BOUND.toMillis() / 3);
      assertFalse(waiting.isAlive(), "no limited client made: the idle wait ends the hold, not the bound");
    } finally {
      state.close();
    }
  }

  @Test
  void aJvmWithAClientHoldsItsMemberUntilItsFirstAnswer() throws Exception {
    SwitchingLimiterState state = state();
    try {
      state.expectRequests();
      Thread waiting = holding(state);
      waiting.join(10 * IDLE.toMillis());
      assertTrue(waiting.isAlive(), "a JVM about to send holds its member back past the idle wait");
      Permit permit = state.acquirePermit("default", 1, Duration.ofSeconds(5), WaitCondition.NEVER).orElseThrow();
      waiting.join(3 * IDLE.toMillis());
      assertTrue(waiting.isAlive(), "admitted is not answered: still held");
      permit.release();
      waiting.join(BOUND.toMillis() / 3);
      assertFalse(waiting.isAlive(), "the first answer ends the hold");
    } finally {
      state.close();
    }
  }
}
