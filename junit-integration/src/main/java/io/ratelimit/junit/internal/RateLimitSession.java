package io.ratelimit.junit.internal;

import io.ratelimit.core.PermitName;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.core.SharedPermit;
import io.ratelimit.settings.SettingsSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;
import io.ratelimit.core.spi.Logs;
import org.slf4j.Logger;

/**
 * Everything the extension keeps for one JVM's part of the run: the coordinator, one client per API,
 * the test gates, the suite's timing and the timeline. Started on first use; {@link #finish()} at the
 * end of the launcher session shares this worker's figures and, on the last worker to finish, writes
 * the report.
 */
public final class RateLimitSession {
  private static final Logger LOG = Logs.get(RateLimitSession.class);
  /** Held by every worker whose session is open: the last one to let go writes the report. */
  static final PermitName SESSIONS = PermitName.named("sessions");
  /** The report writer's permit. */
  static final PermitName REPORT_WRITER = PermitName.named("report");

  /**
   * This JVM's session. One of the library's few JVM-wide statics (see docs/architecture.md): it must outlive
   * one {@code execute} of the launcher (Surefire's {@code rerunFailingTestsCount} calls it again in the same
   * fork), and JUnit before 5.13 has no store that lives as long as the launcher session.
   */
  private static RateLimitSession current;

  private final SettingsSource source;
  private final JUnitSettings.RunSettings settings;
  private final RateLimitCoordinator coordinator;
  private final TestGates gates;
  private final Timeline timeline;
  private final SharedPermit sessionLease;
  private final Map<String, OkHttpClient> clients = new ConcurrentHashMap<>();
  private final long startMillis = System.currentTimeMillis();
  private final LongAdder testNanos = new LongAdder();
  private final AtomicInteger tests = new AtomicInteger();
  private final Map<String, ReportData.TestFigures.Tally> testFigures = new ConcurrentHashMap<>();
  private final java.util.concurrent.Semaphore workerThreads;
  /** Tells this session's test prefixes from other workers' (with the fork number) and from earlier sessions of this JVM. */
  private final String runTag = Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36), 36);
  private final java.util.concurrent.atomic.AtomicLong prefixes = new java.util.concurrent.atomic.AtomicLong();

  private RateLimitSession(SettingsSource source) throws InterruptedIOException {
    this.source = source;
    this.settings = JUnitSettings.run(source);
    this.coordinator = RateLimitedClients.coordinator(source);
    if (settings.config().disableParallel()) {
      coordinator.switchToSequential("PYTEST_DISABLE_PARALLEL=true");
    }
    this.gates = new TestGates(coordinator, settings.categoryLimits(), settings.testSlotTimeout());
    this.sessionLease = coordinator.acquire(SESSIONS, Integer.MAX_VALUE / 2, Duration.ofSeconds(30))
        .orElseThrow(() -> new IllegalStateException("could not register this worker's session"));
    this.timeline = new Timeline(coordinator);
    this.workerThreads = new java.util.concurrent.Semaphore(settings.config().workers().orElse(Runtime.getRuntime().availableProcessors()), true);
    if (settings.config().debug()) {
      LOG.info("ratelimit-testkit: worker {} in {}; category caps {}; report in {}", coordinator.workerId(),
          coordinator.coordination(), settings.categoryLimits(), settings.reportDirectory().toAbsolutePath());
    }
  }

  /** This JVM's session, started from {@code source} on first use. */
  public static synchronized RateLimitSession get(SettingsSource source) {
    if (current == null) {
      try {
        current = new RateLimitSession(source);
      } catch (InterruptedIOException e) {
        Thread.currentThread().interrupt();
        throw new UncheckedIOException(e);
      }
    }
    return current;
  }

  /** This JVM's session if one is running. */
  public static synchronized Optional<RateLimitSession> current() {
    return Optional.ofNullable(current);
  }

  /** Ends this JVM's session, if one was started: shares its figures, writes the report if last, leaves the run. */
  public static synchronized void finishCurrent() {
    if (current != null) {
      try {
        current.finish();
      } finally {
        current = null;
      }
    }
  }

  /** The client for {@code api}, one per API per JVM. */
  public OkHttpClient client(String api) {
    return clients.computeIfAbsent(api, name -> coordinator.newClient(RateLimitConfig.from(source, name)));
  }

  /**
   * Waits (up to {@code PYTEST_TEST_SLOT_TIMEOUT}) until fewer than {@code PYTEST_WORKERS} tests run in this
   * JVM. JUnit's pool may run more tests than its parallelism when some block (for their turn, a lease),
   * so the cap is kept here; taken before anything else a test waits for, so no two tests wait in a circle.
   *
   * @return closing it lets the next test in
   */
  public AutoCloseable workerThread(String testName) throws InterruptedException {
    if (!workerThreads.tryAcquire(settings.testSlotTimeout().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException("ratelimit-testkit: " + testName + " waited " + settings.testSlotTimeout().toSeconds()
          + " s (PYTEST_TEST_SLOT_TIMEOUT) for one of this JVM's PYTEST_WORKERS test threads");
    }
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        workerThreads.release();
      }
    };
  }

  /**
   * A prefix unique to one test invocation in the whole run, {@code w<fork>-<run tag>-<n>-<test>-}: the fork
   * (or process id) and the session's random tag tell workers apart, the counter invocations.
   */
  public String testPrefix(String test) {
    String worker = System.getProperty("surefire.forkNumber", Long.toString(ProcessHandle.current().pid()));
    return "w" + worker.replaceAll("[^A-Za-z0-9]", "") + "-" + runTag + "-" + prefixes.incrementAndGet() + "-"
        + (test.length() > 40 ? test.substring(0, 40) : test) + "-";
  }

  /**
   * The turn of a test that asked the extension for nothing (JUnit's auto-detection registered it) in a JVM
   * already in the run: it waits while an {@code @Isolated} or {@code @RunAlone} test of any fork runs, and
   * counts toward the run's tests meanwhile, but is neither limited nor in the report.
   *
   * @return closing it ends the turn
   */
  public AutoCloseable bystanderTurn(String testName, java.util.Set<String> tags) throws InterruptedIOException {
    return gates.enter(testName, tags, false, false);
  }

  public RateLimitCoordinator coordinator() {
    return coordinator;
  }

  TestGates gates() {
    return gates;
  }

  /** Counts a finished test's own run time (without its wait for a turn). */
  void testRan(String test, long nanos) {
    testNanos.add(nanos);
    tests.incrementAndGet();
    testFigures(test).ran(nanos);
  }

  /**
   * Counts how a test execution ended, for its verdict: {@code cause} is what JUnit says it ended with (null
   * when it passed). A re-run (Surefire's {@code rerunFailingTestsCount}) ends the same unique id again.
   */
  public void testEnded(String test, String uniqueId, Throwable cause, boolean aborted) {
    testFigures(test).ended(uniqueId, ThrottledTests.outcome(cause, aborted));
  }

  /** What a throttled test ends as ({@code PYTEST_THROTTLED_TESTS}). */
  public JUnitSettings.Throttled throttled() {
    return settings.throttled();
  }

  /**
   * Counts what a test waited for before it started: its turn ({@code PYTEST_WORKERS} threads, run mode,
   * {@code @RunAlone}, category caps) and its leases.
   */
  public void testWaited(String test, long turnNanos, long leaseNanos) {
    testFigures(test).waited(turnNanos, leaseNanos);
  }

  /**
   * The test's figures so far, as a JUnit report entry that IDEs, build tools and Open Test Reporting show
   * beside the test: requests, attempts, 429s, retries, and its waits for permits, turns and leases (ms).
   * A test that runs more than once (repeated, parameterized) shows its runs so far together.
   */
  public Map<String, String> reportEntry(String test) {
    ReportData.TestFigures f = testFigures(test).figures(coordinator.testStatistics().getOrDefault(test, io.ratelimit.core.ApiStats.EMPTY));
    Map<String, String> entry = new java.util.LinkedHashMap<>();
    entry.put("ratelimit.requests", Long.toString(f.requests()));
    entry.put("ratelimit.attempts", Long.toString(f.attempts()));
    entry.put("ratelimit.rateLimited", Long.toString(f.rateLimited()));
    entry.put("ratelimit.retries", Long.toString(f.retries()));
    entry.put("ratelimit.permitWaitMs", Long.toString(f.permitWaitMs()));
    entry.put("ratelimit.turnWaitMs", Long.toString(f.turnWaitMs()));
    entry.put("ratelimit.leaseWaitMs", Long.toString(f.leaseWaitMs()));
    return entry;
  }

  /** Every test's figures in this worker so far, by test. */
  Map<String, ReportData.TestFigures> testFigures() {
    Map<String, ReportData.TestFigures> tests = new java.util.TreeMap<>();
    Map<String, io.ratelimit.core.ApiStats> requests = coordinator.testStatistics();
    testFigures.forEach((test, tally) -> tests.put(test, tally.figures(requests.getOrDefault(test, io.ratelimit.core.ApiStats.EMPTY))));
    return tests;
  }

  /** Where the run's report will be (its HTML page): written when the last worker of the run ends. */
  Path reportPage() {
    return settings.reportDirectory().resolve(ReportWriter.HTML_FILE).toAbsolutePath();
  }

  private ReportData.TestFigures.Tally testFigures(String test) {
    return testFigures.computeIfAbsent(test, t -> new ReportData.TestFigures.Tally());
  }

  Path reportDirectory() {
    return settings.reportDirectory();
  }

  /**
   * Waits (up to {@code PYTEST_TEST_SLOT_TIMEOUT}) until no worker of the run is still running tests, so
   * that if the last one dies before it writes the report, one that waited writes it. Surefire waits for
   * every fork anyway, so waiting here costs the build nothing.
   *
   * @return true when every worker is done (a dead one's session ends when it leaves the cluster)
   */
  private boolean awaitOtherWorkers() {
    long deadline = System.nanoTime() + settings.testSlotTimeout().toNanos();
    long nextLog = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    int running;
    while ((running = coordinator.permitsHeld(SESSIONS)) > 0) {
      if (System.nanoTime() - deadline >= 0) {
        LOG.warn("ratelimit-testkit: {} other worker(s) still running after {} s (PYTEST_TEST_SLOT_TIMEOUT); this worker leaves "
            + "without waiting for the report", running, settings.testSlotTimeout().toSeconds());
        return false;
      }
      if (System.nanoTime() - nextLog >= 0) {
        LOG.info("ratelimit-testkit: worker {} done; waiting for {} other worker(s) before the report", coordinator.workerId(), running);
        nextLog = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200));
    }
    return true;
  }

  /**
   * Writes the run's report unless another worker has written one that covers every finished session: the
   * writer holds a run-wide permit while it writes (freed if it dies), and marks the report written with the
   * number of sessions it covers. Forks that do not overlap (Surefire's {@code reuseForks=false}) each end
   * as the last one of the moment: each writes the report again, with every session so far.
   */
  private void writeReportOnce() throws IOException {
    if (reportCovers(coordinator.published(RunDocuments.SUITE).size())) {
      return;
    }
    try (SharedPermit writer = coordinator.acquire(REPORT_WRITER, 1, Duration.ofSeconds(120)).orElse(null)) {
      int sessions = coordinator.published(RunDocuments.SUITE).size();
      if (writer == null || reportCovers(sessions)) {
        return;
      }
      ReportData data = ReportData.collect(coordinator, settings.config());
      Path written = new ReportWriter(settings.reportDirectory()).write(data);
      coordinator.publish(RunDocuments.REPORT, new RunDocuments.ReportWritten(sessions, written.toString()));
      System.out.println(ConsoleSummary.of(data, written));
    }
  }

  /** Whether a report written already covers {@code sessions} finished sessions. */
  private boolean reportCovers(int sessions) {
    return coordinator.published(RunDocuments.REPORT).values().stream().anyMatch(report -> report.sessions() >= sessions);
  }

  void finish() {
    long endMillis = System.currentTimeMillis(); // its tests are done: sharing what it knows is not the suite's time
    try {
      timeline.close();
      coordinator.publish(RunDocuments.SUITE, new RunDocuments.SuiteTiming(startMillis, endMillis,
          testNanos.sum() / 1_000_000, tests.get()));
      Map<String, ReportData.LeaseWaits> leaseWaits = new java.util.TreeMap<>();
      coordinator.leaseWaits().forEach((resource, w) -> leaseWaits.put(resource, ReportData.LeaseWaits.of(w)));
      coordinator.publish(RunDocuments.LEASES, leaseWaits);
      Map<String, ReportData.Learned> learned = new java.util.TreeMap<>();
      coordinator.learnedDelays().forEach((api, d) -> learned.put(api, ReportData.Learned.of(d)));
      coordinator.publish(RunDocuments.LEARNED, learned);
      coordinator.publish(RunDocuments.TESTS, testFigures());
      coordinator.statistics(); // flushes this worker's counters before it lets go
      sessionLease.close();
      if (awaitOtherWorkers()) {
        writeReportOnce();
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("ratelimit-testkit: could not write the stats report: {}", e.toString());
    } finally {
      coordinator.close();
    }
  }
}
