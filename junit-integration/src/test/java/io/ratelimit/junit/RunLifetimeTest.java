package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.ForkedJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * One build, one run (issue 21): worker JVMs run the {@link Fixture} suite through JUnit's launcher, with the
 * run identity derived as in a real build (no {@code PYTEST_RUN_ID}): this test's JVM is their parent, as a
 * Maven JVM, an IDE or a Gradle daemon is. Forks that follow each other within the grace period are one run
 * with one report counting every request the server saw; forks that come after the grace period, or after
 * the run's forks were all killed, start a new run that carries nothing of the old one.
 */
class RunLifetimeTest {
  private static final Duration BOUND = Duration.ofSeconds(120);
  /** Long enough for the next fork of a build to come, short enough for the test to wait it out. */
  private static final String GRACE = "3";

  @TempDir
  Path work;

  @ParameterizedTest
  @ValueSource(strings = {"machine", "embedded"})
  void forksThatDoNotOverlapShareOneRunAndItsReportCountsEveryRequest(String mode) throws Exception {
    try (TestApi api = new TestApi(5, 0)) {
      Path reports = work.resolve("reports");
      // as Surefire's reuseForks=false does: the same fork number again, once the first fork has ended
      Map<String, String> env = env(reports, runs(), "fork-1", "10");
      env.put("PYTEST_CLUSTER_MODE", mode);
      env.put("PYTEST_CLUSTER_PORT", Integer.toString(io.ratelimit.hazelcast.testing.FreePorts.range(10)));
      env.put("PYTEST_CLUSTER_PORT_COUNT", "10");
      // embedded: long enough a fork (5 s) for its run to move into its cluster, which ends with the fork
      env.put("PYTEST_RATE_LIMIT_DELAY", mode.equals("embedded") ? "0.1" : "0.002");
      runToTheEnd(api, env, "first");
      runToTheEnd(api, env, "second");

      JsonNode report = new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
      System.out.println("RunLifetimeTest " + mode + ": the report's run was kept in " + report.get("coordination"));
      assertEquals(api.received(), report.get("totals").get("attempts").asInt(), "the report counts what the server saw");
      assertEquals(100, report.get("totals").get("requests").asInt(), report.get("totals").toString());
      assertEquals(2, report.get("workers").size(), "two JVMs, each with its own counters: " + report.get("workers"));
      assertEquals(20, report.get("suite").get("tests").asInt());
      assertPrivate(runs());
    }
  }

  @Test
  void aLongLivedParentsTwoBuildsApartByMoreThanTheGraceAreTwoRunsWithTwoReports() throws Exception {
    try (TestApi api = new TestApi(5, 0)) {
      Path runs = runs();
      List<ForkedJvm> first = startForks(api, work.resolve("first"), runs);
      for (ForkedJvm fork : first) {
        awaitEnd(fork);
      }
      int firstReceived = api.received();
      awaitGraceOver(runs);
      List<ForkedJvm> second = startForks(api, work.resolve("second"), runs);
      for (ForkedJvm fork : second) {
        awaitEnd(fork);
      }

      JsonNode one = new ObjectMapper().readTree(work.resolve("first").resolve("ratelimit-report.json").toFile());
      JsonNode two = new ObjectMapper().readTree(work.resolve("second").resolve("ratelimit-report.json").toFile());
      assertEquals(firstReceived, one.get("totals").get("attempts").asInt(), "the first build's report: " + one.get("totals"));
      assertEquals(api.received() - firstReceived, two.get("totals").get("attempts").asInt(), "the second's, only its own: " + two.get("totals"));
      assertEquals(100, two.get("totals").get("requests").asInt());
      assertEquals(2, two.get("workers").size(), two.get("workers").toString());
      try (Stream<Path> dirs = Files.list(runs)) {
        assertEquals(1, dirs.count(), "one run directory: the same identity, retired and used again");
      }
    }
  }

  @Test
  void aRunWhoseForksWereAllKilledIsNotContinued() throws Exception {
    try (TestApi api = new TestApi(5, 0)) {
      Path runs = runs();
      Map<String, String> env = env(work.resolve("killed"), runs, "fork-1", GRACE);
      try (ForkedJvm doomed = ForkedJvm.start("doomed", ForkedSuite.class, env, api.url("/items").toString(), "hang")) {
        awaitUntil(() -> api.received() >= 10, "the doomed fork's first requests");
        doomed.kill9();
      }
      int killedReceived = api.received();
      awaitGraceOver(runs);
      Path reports = work.resolve("after");
      runToTheEnd(api, env(reports, runs, "fork-1", GRACE), "next build");

      JsonNode report = new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
      assertEquals(api.received() - killedReceived, report.get("totals").get("attempts").asInt(), "only the new run's: " + report.get("totals"));
      assertEquals(1, report.get("workers").size(), report.get("workers").toString());
      assertEquals("fork-1", report.get("workers").get(0).get("workerId").asText(), "the killed fork's worker id is the new run's again");
    }
  }

  /** The forks' private runtime folder (700, as {@code XDG_RUNTIME_DIR} is), where their runs go. */
  private Path runs() throws IOException {
    Path runtime = work.resolve("runtime");
    if (!Files.isDirectory(runtime)) {
      Files.createDirectory(runtime, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    return runtime.resolve("ratelimit-testkit");
  }

  private Map<String, String> env(Path reports, Path runs, String worker, String grace) {
    Map<String, String> env = new HashMap<>();
    env.put("XDG_RUNTIME_DIR", runs.getParent().toString()); // the user's runtime folder: runs go to its ratelimit-testkit
    env.put("PYTEST_WORKER_ID", worker);
    env.put("PYTEST_WORKERS", "3");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.002");
    env.put("PYTEST_RUN_GRACE", grace);
    env.put("PYTEST_STATS_REPORT", reports.toString());
    return env;
  }

  private List<ForkedJvm> startForks(TestApi api, Path reports, Path runs) throws IOException {
    List<ForkedJvm> forks = new ArrayList<>();
    for (int w = 1; w <= 2; w++) {
      forks.add(ForkedJvm.start("fork-" + w, ForkedSuite.class, env(reports, runs, "fork-" + w, GRACE), api.url("/items").toString()));
    }
    return forks;
  }

  private static void runToTheEnd(TestApi api, Map<String, String> env, String name) throws Exception {
    try (ForkedJvm fork = ForkedJvm.start(name, ForkedSuite.class, env, api.url("/items").toString())) {
      awaitEnd(fork);
    }
  }

  private static void awaitEnd(ForkedJvm fork) throws Exception {
    assertEquals("succeeded=10 failed=0", fork.awaitValue("SUITE", BOUND), fork.output());
    assertEquals(0, fork.awaitExit(BOUND), fork.output());
  }

  /** Waits (bounded) until the run's list of JVMs has been left alone for longer than the grace period. */
  private static void awaitGraceOver(Path runs) throws IOException {
    Path presence;
    try (Stream<Path> dirs = Files.list(runs)) {
      presence = dirs.findFirst().orElseThrow().resolve("presence");
    }
    long graceMillis = Long.parseLong(GRACE) * 1000;
    awaitUntil(() -> {
      try {
        return System.currentTimeMillis() - Files.getLastModifiedTime(presence).toMillis() > graceMillis + 200;
      } catch (IOException e) {
        return false;
      }
    }, "the grace period over");
  }

  private static void awaitUntil(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "waited " + BOUND + " for " + what);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  /** Every folder of the runs is 700 and every file 600: no one else may read a run's state. */
  private static void assertPrivate(Path runs) throws IOException {
    try (Stream<Path> paths = Files.walk(runs)) {
      for (Path p : (Iterable<Path>) paths.filter(p -> !p.equals(runs))::iterator) {
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode, p.toString());
      }
    }
  }
}
