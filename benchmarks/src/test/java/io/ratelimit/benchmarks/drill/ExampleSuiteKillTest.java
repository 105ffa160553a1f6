package io.ratelimit.benchmarks.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.benchmarks.drill.FaultDrill.Worker;
import io.ratelimit.core.ApiStats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four worker JVMs run the example suite against the demo API; mid-run the API stalls so requests are
 * held, and the worker holding the most of them is killed with SIGKILL. The cluster must free its
 * permits within 5 s (seen as: every permit held is a request the server has from a survivor), the
 * survivors must finish their shards, and the one report must show the survivors' attempts exactly as
 * the server counted them and the dead worker's as far as it had flushed them.
 */
class ExampleSuiteKillTest {
  private static final Duration RUN_BOUND = Duration.ofMinutes(4);
  private static final Duration PERMITS_BACK_WITHIN = Duration.ofSeconds(5); // the promise

  @TempDir
  Path reports;

  @Test
  void aWorkerKilledWhileHoldingPermitsLosesNothingButItsOwnTests() throws Exception {
    try (FaultDrill drill = new FaultDrill(4, reports)) {
      for (int shard = 0; shard < 4; shard++) {
        drill.start("w" + (shard + 1), shard, 4, 0);
      }
      awaitTrue(() -> drill.api().received() >= 1, RUN_BOUND, "the suite starts");
      drill.observer();
      awaitTrue(() -> drill.api().received() >= 40, RUN_BOUND, "the suite is under way (it sends about 100 requests)");

      drill.api().stall();
      awaitSteady(() -> drill.api().inFlight(), "the held requests pile up");
      awaitTrue(() -> drill.permitsHeld() == drill.api().inFlight(), Duration.ofSeconds(2),
          "every permit held is a request at the server");
      Worker victim = drill.running().stream().max(Comparator.comparingInt(w -> drill.api().inFlightOn(w.baseUrl()))).orElseThrow();
      int victimHeld = drill.api().inFlightOn(victim.baseUrl());
      assertTrue(victimHeld >= 1, "the victim holds permits when it is killed");
      List<Worker> survivors = drill.workers().values().stream().filter(w -> w != victim).collect(Collectors.toList());
      // what the report can show of the dead worker is what it flushed: a worker flushes its counters every
      // 500 ms, the first time about 2 s after its start, which a fast machine's run can reach before then
      awaitTrue(() -> drill.observer().statistics().byWorker().getOrDefault(victim.id(), ApiStats.EMPTY).attempts() > 0,
          Duration.ofSeconds(12), "the victim has flushed its counters once");

      long killedAt = System.nanoTime();
      victim.jvm().kill9();
      // the dead worker's permits are back once every permit held is a survivor's request at the server
      // (the survivors take the freed permits at once: their requests queue for them)
      long backAt = awaitTrue(() -> drill.permitsHeld() <= drill.inFlightFrom(survivors), PERMITS_BACK_WITHIN.plusSeconds(5),
          "the dead worker's permits are freed");
      drill.api().resume();
      long backMillis = TimeUnit.NANOSECONDS.toMillis(backAt - killedAt);

      for (Worker survivor : survivors) {
        assertEquals(0, survivor.jvm().awaitExit(RUN_BOUND), survivor.jvm().output());
        String suite = survivor.jvm().awaitValue("SUITE", Duration.ofSeconds(1));
        assertTrue(suite.endsWith("failed=0"), survivor.id() + ": " + suite + "\n" + survivor.jvm().output());
      }
      Map<String, Long> reported = drill.reportedAttempts();
      for (Worker survivor : survivors) {
        // exact, unless an attempt failed on the wire (a pooled connection the server had closed): the
        // report counts it as an I/O error, and the server may never have seen it
        long attempts = reported.get(survivor.id());
        long answered = attempts - drill.row(survivor.id()).path("ioErrors").asLong();
        long server = drill.api().receivedOn(survivor.baseUrl());
        assertTrue(answered <= server && server <= attempts,
            survivor.id() + ": the server counted " + server + ", the report " + drill.row(survivor.id()));
      }
      long sentByVictim = drill.api().receivedOn(victim.baseUrl());
      long flushedByVictim = reported.getOrDefault(victim.id(), 0L);
      long victimIoErrors = drill.row(victim.id()).path("ioErrors").asLong();
      assertTrue(flushedByVictim > 0 && flushedByVictim - victimIoErrors <= sentByVictim,
          "the dead worker's flushed attempts: " + flushedByVictim + " of " + sentByVictim + " sent");
      assertEquals(reported.values().stream().mapToLong(Long::longValue).sum(), drill.report().get("totals").get("attempts").asLong());
      System.out.printf("DRILL kill -9 of %s holding %d permit(s): permits back in %d ms (bound %d ms); report: %s; "
              + "server: %d received, %d answered 429; the dead worker sent %d, its report row has %d%n",
          victim.id(), victimHeld, backMillis, PERMITS_BACK_WITHIN.toMillis(), reported, drill.api().received(),
          drill.api().rejected(), sentByVictim, flushedByVictim);
      assertTrue(backMillis <= PERMITS_BACK_WITHIN.toMillis(), "permits back in " + backMillis + " ms");
    }
  }

  /** Polls until {@code condition} holds; returns when (System.nanoTime), or fails after {@code bound}. */
  private static long awaitTrue(BooleanSupplier condition, Duration bound, String what) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + bound.toSeconds() + " s: " + what);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    return System.nanoTime();
  }

  /** Waits until {@code value} is at least 1 and has not changed for half a second (at most 5 s). */
  private static void awaitSteady(java.util.function.IntSupplier value, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    int last = value.getAsInt();
    long since = System.nanoTime();
    while (System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      int now = value.getAsInt();
      if (now != last) {
        last = now;
        since = System.nanoTime();
      } else if (now >= 1 && System.nanoTime() - since >= TimeUnit.MILLISECONDS.toNanos(500)) {
        return;
      }
    }
    assertTrue(last >= 1, "not within 5 s: " + what);
  }
}
