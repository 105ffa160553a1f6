package io.ratelimit.core.internal.rundir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.PermitName;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.hazelcast.RunDirectory;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A release wakes the JVM whose waiter is next in line, and only it: participants of one run directory (a JVM may
 * enter a run more than once, so three participants of this JVM stand for three JVMs), counted on their bells.
 */
class ChangeBellTest {
  private static final PermitName ACCOUNT = PermitName.named("billing account");
  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir
  Path runDir;
  private final List<RunDirectoryState> participants = new ArrayList<>();

  @AfterEach
  void leave() {
    participants.forEach(RunDirectoryState::close);
  }

  private RunDirectoryState participant(String workerId) {
    RunDirectoryState state = new RunDirectoryState(RunDirectory.at(runDir), workerId, new StatsRecorder());
    participants.add(state);
    return state;
  }

  /** A participant whose bell is not {@code other}'s (names hash to one of 64 bells; a shared one would blur the count). */
  private RunDirectoryState participantWithABellOtherThan(RunDirectoryState other) {
    for (int i = 0; ; i++) {
      RunDirectoryState candidate = participant("w" + i);
      if (ChangeBell.bellOf(candidate.participantName()) != ChangeBell.bellOf(other.participantName())) {
        return candidate;
      }
    }
  }

  private static int waiting(RunDirectoryState state) {
    return state.update(file -> {
      RunFile.Permits permits = file.permits.get(ACCOUNT.key());
      return permits == null ? 0 : permits.waiting.size();
    });
  }

  private static CompletableFuture<Optional<Permit>> acquireLater(RunDirectoryState state) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return state.permits().acquirePermit(ACCOUNT, 1, BOUND, WaitCondition.NEVER);
      } catch (InterruptedIOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static void awaitWaiting(RunDirectoryState state, int count) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (waiting(state) < count) {
      assertTrue(System.nanoTime() < deadline, "no " + count + " waiters queued within " + BOUND);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  @Test
  void aBellRungThroughOneMappingIsHeardThroughAnotherAndRingsNoOtherBell() {
    ChangeBell one = ChangeBell.in(RunDirectory.at(runDir));
    ChangeBell other = ChangeBell.in(RunDirectory.at(runDir));
    long before = other.rung("p1#1");
    one.ring("p1#1");
    assertEquals(before + 1, other.rung("p1#1"));
    String elsewhere = "p2#1";
    for (int i = 2; ChangeBell.bellOf(elsewhere) == ChangeBell.bellOf("p1#1"); i++) {
      elsewhere = "p2#" + i;
    }
    long quiet = other.rung(elsewhere);
    one.ring("p1#1");
    assertEquals(quiet, other.rung(elsewhere), "another participant's bell stays silent");
  }

  @Test
  void aReleaseWakesOnlyTheJvmWhoseWaiterIsNextInLine() throws Exception {
    RunDirectoryState holder = participant("holder");
    RunDirectoryState first = participant("first");
    RunDirectoryState second = participantWithABellOtherThan(first);
    ChangeBell bells = holder.bell();

    Permit held = holder.permits().acquirePermit(ACCOUNT, 1, BOUND, WaitCondition.NEVER).orElseThrow();
    CompletableFuture<Optional<Permit>> firstInLine = acquireLater(first);
    awaitWaiting(holder, 1);
    CompletableFuture<Optional<Permit>> secondInLine = acquireLater(second);
    awaitWaiting(holder, 2);

    long secondsBell = bells.rung(second.participantName());
    long firstsBell = bells.rung(first.participantName());
    assertTrue(held.release());
    Permit handedOn = firstInLine.get(BOUND.toSeconds(), TimeUnit.SECONDS).orElseThrow();
    assertNotEquals(firstsBell, bells.rung(first.participantName()), "the release rang the bell of the first in line");
    assertEquals(secondsBell, bells.rung(second.participantName()), "the second in line was left asleep: its turn had not come");
    assertFalse(secondInLine.isDone(), "the cap of 1 is held by the first in line");

    assertTrue(handedOn.release());
    assertTrue(secondInLine.get(BOUND.toSeconds(), TimeUnit.SECONDS).orElseThrow().release(), "then its turn came");
  }
}
