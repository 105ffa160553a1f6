package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.PermitName;
import io.ratelimit.core.internal.state.Admission;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.internal.state.Permits;
import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.state.TurnTaking;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.spi.Logs;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * The run directory's permits and start slots ({@link Permits}): every change under the directory's state
 * lock, exact across processes; a permit names the participant holding it and dies with its process;
 * waiters queue in the order they asked, and a release rings the bell of the JVM whose waiter is next in line.
 */
final class RunDirectoryPermits implements Permits {
  private static final Logger LOG = Logs.get(RunDirectoryPermits.class);
  private static final long TICKET_MILLIS = 1_000;
  /**
   * The longest a waiter goes without looking at the state itself: only for what rings no bell (a holder
   * that died, a ticket ahead that lapsed), which is rare, so looks are few; a release, a withdrawal and a
   * take that leaves a permit free ring the next in line's bell.
   */
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** Earliest slot ahead of now: covers the file lock and the trip back to the caller. */
  private static final long MAX_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final RunDirectoryState state;
  private final Map<String, ReentrantLock> turns = new ConcurrentHashMap<>();
  private final AtomicLong leaseIds = new AtomicLong();

  RunDirectoryPermits(RunDirectoryState state) {
    this.state = state;
  }

  @Override
  public Optional<Permit> acquirePermit(PermitName permitName, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    String name = permitName.key();
    return acquire(name, null, cap, Pacing.Params.fixed(0), maxWait, condition).map(Admission::permit);
  }

  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return acquire(limits.permitName().key(), limits.api(), limits.maxInFlight(), limits.pacing(), maxWait, condition);
  }

  /** A permit of {@code name} (cap {@code cap}) and, if it paces, a start slot of {@code api}'s requests. */
  private Optional<Admission> acquire(String name, String api, int cap, Pacing.Params pacing, Duration maxWait, WaitCondition condition)
      throws InterruptedIOException {
    // unique in the run by the participant's name (process, start, counter): no UUID, whose SecureRandom would
    // cost a cold JVM's first request tens of milliseconds
    String leaseId = leaseId(state.participantName(), leaseIds.incrementAndGet());
    ReentrantLock turn = turns.computeIfAbsent(name, n -> new ReentrantLock(true));
    // the head of this JVM's line waits for its bell, which a release rings when this JVM's waiter is next in
    // line, and polls every 1 ms backing off to 100 ms for what rings nothing (a holder that died, a lapsed ticket)
    String self = state.participantName();
    long[] pause = {TimeUnit.MILLISECONDS.toNanos(1)};
    long[] seen = {state.bell().rung(self)};
    return TurnTaking.acquire(turn, System.nanoTime() + maxWait.toNanos(), condition, TICKET_MILLIS,
        ticket -> {
          seen[0] = state.bell().rung(self); // before the look: a release during it rings after this
          return tryAcquire(name, api, cap, leaseId, ticket, pacing);
        }, left -> {
          state.bell().await(self, seen[0], Math.min(left, pause[0]));
          pause[0] = Math.min(pause[0] * 2, MAX_PAUSE_NANOS);
          if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a permit");
          }
        }, () -> withdraw(name, leaseId));
  }

  private Optional<Admission> tryAcquire(String name, String api, int cap, String leaseId, long ticketMillis, Pacing.Params pacing) {
    Pacing.Slot slot = state.update(file -> {
      long now = System.currentTimeMillis();
      RunFile.Permits permits = file.permits.computeIfAbsent(name, n -> new RunFile.Permits());
      permits.waiting.values().removeIf(lapse -> lapse <= now);
      if (permits.held.size() >= cap) {
        permits.held.values().removeIf(holder -> !state.isLive(holder)); // a killed JVM's permits come back
      }
      boolean turnCame = permits.waiting.isEmpty() || permits.waiting.keySet().iterator().next().equals(leaseId);
      if (permits.held.size() < cap && turnCame) {
        permits.waiting.remove(leaseId);
        permits.held.put(leaseId, state.participantName());
        if (permits.held.size() < cap) {
          ringNextInLine(permits, now); // a permit is still free: the next in line may take it
        }
        return pacing.paces() ? permits.pacing.reserve(pacing, earliestSlot(api, pacing)) : Pacing.Slot.NOW;
      }
      Long lapse = permits.waiting.get(leaseId);
      if (ticketMillis > 0 && (lapse == null || lapse - now < ticketMillis / 2)) {
        permits.waiting.put(leaseId, now + ticketMillis); // renewed when half spent: a look that changes nothing writes nothing
      }
      return null;
    });
    if (slot == null) {
      return Optional.empty();
    }
    return Optional.of(new Admission(permit(name, leaseId), slot));
  }

  private void withdraw(String name, String leaseId) {
    try {
      state.update(file -> {
        RunFile.Permits permits = file.permits.get(name);
        boolean withdrew = permits != null && permits.waiting.remove(leaseId) != null;
        if (withdrew) {
          ringNextInLine(permits, System.currentTimeMillis()); // it may have been first: the next may have its turn now
        }
        return withdrew;
      });
    } catch (RuntimeException e) {
      LOG.debug("could not withdraw from the queue for {}: {}", name, e.toString()); // the ticket lapses in a second
    }
  }

  /**
   * Rings the bell of the JVM whose waiter is first in line (its ticket unexpired), if any: only it may take a
   * permit now, so only it looks.
   */
  private void ringNextInLine(RunFile.Permits permits, long now) {
    for (Map.Entry<String, Long> waiter : permits.waiting.entrySet()) {
      if (waiter.getValue() > now) {
        state.bell().ring(participantOf(waiter.getKey()));
        return;
      }
    }
  }

  /** A lease id: the participant asking, then this JVM's count (a participant's name may hold '/'). */
  private static String leaseId(String participant, long count) {
    return participant + "/" + count;
  }

  /** The participant that asked for {@code leaseId} (see {@link #leaseId}). */
  private static String participantOf(String leaseId) {
    return leaseId.substring(0, leaseId.lastIndexOf('/'));
  }

  /** A permit held here: released under the lock, which rings the bell of the JVM whose waiter is next in line. */
  private Permit permit(String name, String leaseId) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      if (!done.compareAndSet(false, true)) {
        return false;
      }
      state.update(file -> {
        RunFile.Permits permits = file.permits.get(name);
        boolean released = permits != null && permits.held.remove(leaseId) != null;
        if (released) {
          ringNextInLine(permits, System.currentTimeMillis()); // the next in line, in whichever JVM, looks again at once
        }
        return released;
      });
      state.answered();
      return true;
    };
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    Pacing.Params pacing = limits.pacing();
    if (!pacing.paces()) {
      return Pacing.Slot.NOW;
    }
    return state.update(file -> file.permits.computeIfAbsent(limits.permitName().key(), n -> new RunFile.Permits()).pacing
        .reserve(pacing, earliestSlot(limits.api(), pacing)));
  }

  /**
   * The earliest start to give: a little ahead, so the slot is still to come when the caller has it back, and
   * {@link Pacing#afterLateStart} after the latest start the run's JVMs noted. A start that left late (or waited for
   * one that did) so moves the slots given from then on: only the few slots already given wait for it one by
   * one (see {@code AdmissionInterceptor}), and the lateness does not add up along the run.
   */
  private long earliestSlot(String api, Pacing.Params pacing) {
    long ahead = StartSlots.epochNanosNow() + Math.min(pacing.floorNanos() / 2, MAX_LEAD_NANOS);
    return Math.max(ahead, state.starts().latest(api) + Pacing.afterLateStart(pacing, Pacing.floor(pacing, 0)));
  }

  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    state.update(file -> {
      file.permits.computeIfAbsent(limits.permitName().key(), n -> new RunFile.Permits()).pacing
          .feedback(limits.pacing(), feedback, StartSlots.epochNanosNow());
      return null;
    });
  }

  @Override
  public int permitsHeld(PermitName permitName) {
    String name = permitName.key();
    return state.update(file -> {
      RunFile.Permits permits = file.permits.get(name);
      if (permits == null) {
        return 0;
      }
      permits.held.values().removeIf(holder -> !state.isLive(holder));
      return permits.held.size();
    });
  }
}
