package io.ratelimit.benchmarks.drill;

import io.ratelimit.benchmarks.Settings;
import io.ratelimit.benchmarks.drill.FaultDrill.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The soak: four worker JVMs run the example suite over and over against the demo API, as fast as the
 * examples' limits (sized to the demo's quota) allow, for
 * {@code SOAK_MINUTES} (10), and every {@code SOAK_FAULT_SECONDS} (60) one fault is injected, in turn:
 * SIGKILL of a worker (a fresh one takes its shard), a 3 s stall of the API, SIGTERM of a worker (a fresh
 * one takes its shard). Worker {@code w1} is never harmed: its live heap after each pass is the growth
 * measure.
 *
 * <p>It passes when: ten seconds after each fault, with the API stalled for a moment, every permit held is
 * a request the server holds (none leaked); no permit is held once the workers are gone; {@code w1}'s live
 * heap stays under {@value #HEAP_BOUND_MIB} MiB and ends within {@value #HEAP_GROWTH_MIB} MiB of where it started;
 * for every worker not killed with SIGKILL the server's count equals the report's attempts, except for
 * attempts that failed with an I/O error, which the server may not have seen (for a killed worker: its
 * answered attempts are at most the server's count); and every test of a worker that was not stopped passed. It prints a table and exits
 * 0 when all hold, 1 otherwise.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -pl benchmarks exec:exec
 * -Dbenchmark=io.ratelimit.benchmarks.drill.SoakDrill}. {@code SOAK_ONLY_FAULT} (0 SIGTERM, 1 SIGKILL,
 * 2 stall) injects one kind of fault only, to chase one problem. The report goes to
 * {@code benchmarks/target/soak-report}.
 */
public final class SoakDrill {
  static final int HEAP_BOUND_MIB = 64;
  static final int HEAP_GROWTH_MIB = 16;
  private static final int WORKERS = 4;
  private static final Pattern ITERATION = Pattern.compile("ITERATION (\\d+) succeeded=(\\d+) failed=(\\d+) liveHeapMiB=(\\d+)");

  private final FaultDrill drill;
  private final long endNanos;
  private final List<String> rows = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private final List<String> killed = new ArrayList<>();
  private final List<String> stopped = new ArrayList<>();
  private int replacements;
  private final int onlyFault;

  private SoakDrill(FaultDrill drill, long endNanos, int onlyFault) {
    this.drill = drill;
    this.endNanos = endNanos;
    this.onlyFault = onlyFault;
  }

  public static void main(String[] args) throws Exception {
    List<String> problems = new ArrayList<>();
    long minutes = Settings.integer("SOAK_MINUTES", 10, 1, 1440, problems);
    long faultEvery = Settings.integer("SOAK_FAULT_SECONDS", 60, 5, 3600, problems);
    int onlyFault = Settings.integer("SOAK_ONLY_FAULT", -1, 0, 2, problems); // -1, unset: every fault in turn
    Settings.check("soak drill", problems);
    long start = System.nanoTime();
    long end = start + TimeUnit.MINUTES.toNanos(minutes);
    boolean passed;
    try (FaultDrill drill = new FaultDrill(WORKERS, Path.of("target", "soak-report"))) {
      SoakDrill soak = new SoakDrill(drill, end, onlyFault);
      for (int shard = 0; shard < WORKERS; shard++) {
        drill.start("w" + (shard + 1), shard, WORKERS, TimeUnit.NANOSECONDS.toSeconds(end - System.nanoTime()));
      }
      while (drill.api().received() == 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      drill.observer();
      for (int fault = 1; ; fault++) {
        long at = start + TimeUnit.SECONDS.toNanos(faultEvery * fault);
        if (end - at < TimeUnit.SECONDS.toNanos(30)) {
          break; // the last stretch runs clean, so the run ends as a run does
        }
        parkUntil(at);
        soak.inject(fault, TimeUnit.NANOSECONDS.toSeconds(at - start));
      }
      passed = soak.finish(start);
    }
    System.exit(passed ? 0 : 1);
  }

  private void inject(int fault, long second) throws Exception {
    String what;
    switch (onlyFault >= 0 ? onlyFault : fault % 3) {
      case 1 -> {
        Worker victim = victim();
        int holding = drill.api().inFlightOn(victim.baseUrl());
        victim.jvm().kill9();
        killed.add(victim.id());
        replace(victim);
        what = "SIGKILL " + victim.id() + " (" + holding + " request(s) in flight)";
      }
      case 2 -> {
        drill.api().stall();
        parkUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(3));
        drill.api().resume();
        what = "API stalled 3 s";
      }
      default -> {
        Worker victim = victim();
        victim.jvm().terminate();
        if (victim.jvm().awaitExit(Duration.ofSeconds(60)) != 143) {
          failures.add(victim.id() + " did not exit 143 after SIGTERM");
        }
        stopped.add(victim.id());
        replace(victim);
        what = "SIGTERM " + victim.id();
      }
    }
    parkUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    int heldAtProbe = drill.permitsHeld();
    int unaccounted = unaccountedPermits();
    if (unaccounted > 0) {
      failures.add("10 s after fault " + fault + ", " + unaccounted + " permit(s) held without a request at the stalled API");
    }
    rows.add(String.format("| %6d s | %-44s | %3d | %3d | %6d |", second, what, heldAtProbe, unaccounted, drill.api().received()));
  }

  /** The harmed worker: a running one other than w1, the one with the most requests at the server. */
  private Worker victim() {
    return drill.running().stream().filter(w -> !w.id().equals("w1"))
        .max(Comparator.comparingInt(w -> drill.api().inFlightOn(w.baseUrl()))).orElseThrow();
  }

  private void replace(Worker gone) throws Exception {
    long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(endNanos - System.nanoTime()));
    drill.start(gone.id().replaceAll("\\..*", "") + "." + (++replacements + 1), gone.shard(), WORKERS, seconds);
  }

  /**
   * Permits held beyond the requests the server has from running workers, seen with the API stalled for a
   * moment: a permit is held from admission (a request may wait for its start slot) to the response, so
   * only while requests are held at the server must every permit be one of them; one more is a leak.
   */
  private int unaccountedPermits() {
    drill.api().stall();
    try {
      int last = -1;
      long steadySince = System.nanoTime();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() - deadline < 0 && System.nanoTime() - steadySince < TimeUnit.MILLISECONDS.toNanos(500)) {
        int now = drill.api().inFlight();
        if (now != last) {
          last = now;
          steadySince = System.nanoTime();
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      int lowest = Integer.MAX_VALUE;
      for (int i = 0; i < 10; i++) {
        lowest = Math.min(lowest, Math.max(0, drill.permitsHeld() - drill.inFlightFrom(drill.running())));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      return lowest;
    } finally {
      drill.api().resume();
    }
  }

  private boolean finish(long start) throws Exception {
    for (Worker worker : drill.workers().values()) {
      if (worker.jvm().isAlive() && worker.jvm().awaitExit(Duration.ofMinutes(5)) != 0) {
        failures.add(worker.id() + " exited with an error:\n" + worker.jvm().output());
      }
    }
    long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    int leaked = drill.permitsHeld();
    if (leaked != 0 || drill.api().inFlight() != 0) {
      failures.add(leaked + " permit(s) still held after every worker left");
    }
    Map<String, Long> reported = drill.reportedAttempts();
    long reportedTotal = 0;
    long ioErrors = 0;
    for (Worker worker : drill.workers().values()) {
      long server = drill.api().receivedOn(worker.baseUrl());
      long report = reported.getOrDefault(worker.id(), 0L);
      reportedTotal += report;
      // An attempt that failed with an I/O error may never have reached the server (a pooled connection
      // the server had closed, which OkHttp then retries): the server's count lies between the answered
      // attempts and all of them; for a killed worker, at least its flushed answered attempts.
      long answered = report - drill.row(worker.id()).path("ioErrors").asLong();
      ioErrors += report - answered;
      boolean holds = killed.contains(worker.id()) ? answered <= server : answered <= server && server <= report;
      if (!holds) {
        failures.add(worker.id() + ": report " + report + " attempts (" + answered + " answered), server " + server + "; its row: "
            + drill.row(worker.id()) + "; its warnings:\n" + worker.jvm().output().lines()
            .filter(l -> l.contains("WARN") || l.contains("Exception")).limit(40).collect(Collectors.joining("\n")));
      }
      if (!killed.contains(worker.id()) && !stopped.contains(worker.id())) {
        long failedTests = iterations(worker).stream().mapToLong(m -> Long.parseLong(m[2])).sum();
        if (failedTests > 0) {
          failures.add(worker.id() + ": " + failedTests + " test(s) failed\n" + worker.jvm().output());
        }
      }
    }
    List<String[]> heap = iterations(drill.workers().get("w1"));
    long first = heap.isEmpty() ? -1 : Long.parseLong(heap.get(0)[3]);
    long last = heap.isEmpty() ? -1 : Long.parseLong(heap.get(heap.size() - 1)[3]);
    long max = heap.stream().mapToLong(m -> Long.parseLong(m[3])).max().orElse(-1);
    if (heap.isEmpty() || max > HEAP_BOUND_MIB || last - first > HEAP_GROWTH_MIB) {
      failures.add("w1's live heap: first " + first + " MiB, max " + max + " MiB, last " + last + " MiB");
    }
    long tests = drill.workers().values().stream().flatMap(w -> iterations(w).stream()).mapToLong(m -> Long.parseLong(m[1])).sum();

    System.out.println();
    System.out.println("Soak: " + WORKERS + " workers, " + elapsedSeconds + " s, demo API quota 40 requests/s, 10 in flight");
    System.out.println("| fault at | fault                                        | permits held 10 s later | of them without a request at the stalled API | server requests so far |");
    System.out.println("|---------:|----------------------------------------------|----:|----:|-------:|");
    rows.forEach(System.out::println);
    System.out.printf("server: %d requests (%.1f/s), %d answered 429; report: %d attempts, %d of them I/O errors (a pooled "
            + "connection the server had closed); the killed workers' unflushed attempts: %d; %d tests passed in all (w1: %d passes of "
            + "its shard)%n", drill.api().received(), drill.api().received() / (double) Math.max(1, elapsedSeconds),
        drill.api().rejected(), reportedTotal, ioErrors, drill.api().received() - (reportedTotal - ioErrors), tests, heap.size());
    System.out.printf("w1 live heap after GC: first %d MiB, max %d MiB, last %d MiB (bound %d MiB, growth bound %d MiB)%n",
        first, max, last, HEAP_BOUND_MIB, HEAP_GROWTH_MIB);
    System.out.println("permits held after every worker left: " + leaked + "; report rows: " + reported);
    System.out.println("report: " + drill.reports().toAbsolutePath().resolve("ratelimit-report.html"));
    failures.forEach(f -> System.out.println("FAILED: " + f));
    System.out.println(failures.isEmpty() ? "SOAK PASSED" : "SOAK FAILED");
    return failures.isEmpty();
  }

  /** The worker's ITERATION lines as {iteration, succeeded, failed, liveHeapMiB}. */
  private static List<String[]> iterations(Worker worker) {
    List<String[]> found = new ArrayList<>();
    for (String line : worker.jvm().output().split("\n")) {
      Matcher m = ITERATION.matcher(line);
      if (m.matches()) {
        found.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
      }
    }
    return found;
  }

  private static void parkUntil(long nanoTime) {
    while (nanoTime - System.nanoTime() > 0) {
      LockSupport.parkNanos(nanoTime - System.nanoTime());
    }
  }
}
