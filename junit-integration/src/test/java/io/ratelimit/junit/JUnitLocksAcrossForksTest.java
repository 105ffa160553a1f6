package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.ForkedJvm;
import io.ratelimit.core.LeaseInfo;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JUnit's own {@code @ResourceLock} and {@code @Isolated}, in tests that know nothing of the library (the
 * extension reaches them by JUnit's auto-detection), hold across worker JVMs that each run their tests in
 * parallel: a {@link LockRecorder} on loopback sees who is inside a locked stretch, from every fork, and
 * counts every entry that overlapped what it may not. Counts and invariants only, no timings.
 */
class JUnitLocksAcrossForksTest {
  private static final Duration BOUND = Duration.ofSeconds(120);

  private final List<ForkedJvm> forks = new ArrayList<>();
  @TempDir
  Path dir;

  @AfterEach
  void stop() throws InterruptedException {
    for (ForkedJvm fork : forks) {
      fork.close();
    }
  }

  private Map<String, String> run(String name) {
    // machine mode (the default): the run directory holds the lease tables
    Map<String, String> env = new HashMap<>();
    env.put("PYTEST_RUN_ID", name + "-" + UUID.randomUUID());
    env.put("PYTEST_RUN_DIR", dir.resolve("run").toString());
    env.put("PYTEST_WORKERS", "3");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0");
    env.put("PYTEST_STATS_REPORT", dir.resolve("reports").toString());
    return env;
  }

  private ForkedJvm fork(Map<String, String> env, String worker, String url, String mode) throws Exception {
    Map<String, String> forkEnv = new HashMap<>(env);
    forkEnv.put("PYTEST_WORKER_ID", worker);
    ForkedJvm fork = ForkedJvm.start(worker, ForkedSuite.class, forkEnv, url, mode);
    forks.add(fork);
    return fork;
  }

  @Test
  void writersReadersAndIsolatedTestsKeepApartAcrossFourForks() throws Exception {
    keepApart(run("junit-locks"), 4);
  }

  /** The same in the run's embedded cluster (its lease tables live in Hazelcast), with three forks. */
  @Test
  void writersReadersAndIsolatedTestsKeepApartInAnEmbeddedCluster() throws Exception {
    Map<String, String> env = run("junit-locks-cluster");
    env.put("PYTEST_CLUSTER_MODE", "embedded");
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10)));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "10");
    env.put("PYTEST_CLUSTER_JOIN_TIMEOUT", "30"); // forks starting at once on a loaded machine: room to form the cluster
    keepApart(env, 3);
    for (ForkedJvm fork : forks) {
      assertFalse(fork.output().contains("goes on in local mode"), "a fork that could not join holds leases only within itself");
    }
  }

  private void keepApart(Map<String, String> env, int workers) throws Exception {
    try (LockRecorder recorder = new LockRecorder()) {
      for (int w = 1; w <= workers; w++) {
        fork(env, "fork-" + w, recorder.url(), "junit-locks");
      }
      for (ForkedJvm fork : forks) {
        assertEquals("succeeded=12 failed=0", fork.awaitValue("SUITE", BOUND), fork.output());
        assertEquals(0, fork.awaitExit(BOUND));
      }
      // every stretch ran, once per fork; an @ExclusiveResource("account") test is a writer of the same account
      assertEquals(4 * workers, recorder.entered("writer"));
      assertEquals(3 * workers, recorder.entered("reader"));
      assertEquals(2 * workers, recorder.entered("isolated"));
      assertEquals(3 * workers, recorder.entered("other"));
      assertEquals(List.of(), recorder.violations(), "no writer beside a writer or reader, no test beside an isolated one");
      System.out.println("JUnitLocksAcrossForksTest: at most " + recorder.maxReaders() + " readers inside at once");
    }
  }

  @Test
  void aKilledForksLockComesBack() throws Exception {
    try (LockRecorder recorder = new LockRecorder()) {
      Map<String, String> env = run("junit-lock-kill");
      env.put("PYTEST_LEASE_WAIT", "90"); // the waiter's bound; the lease itself ends when its fork's process does
      ForkedJvm holder = fork(env, "fork-h", recorder.url(), "lock-hang");
      awaitTrue(() -> recorder.hanging() == 1, "the holder sits in its locked test");
      try (RateLimitCoordinator observer = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env))) {
        List<LeaseInfo> held = observer.leases("observer").list();
        assertEquals(1, held.size(), held.toString());
        assertEquals("account", held.get(0).resource());
        assertEquals("fork-h/HangingWriter#hangs", held.get(0).owner(), "a method's lock, held around its test");
      }
      ForkedJvm waiter = fork(env, "fork-w", recorder.url(), "lock-wait");
      assertEquals(0, recorder.entered("writer"), "the waiter cannot be in while the holder lives");
      holder.kill9();
      recorder.forget("hanger");
      assertEquals("succeeded=1 failed=0", waiter.awaitValue("SUITE", BOUND), waiter.output());
      assertEquals(0, waiter.awaitExit(BOUND));
      assertEquals(1, recorder.entered("writer"));
      assertEquals(List.of(), recorder.violations());
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + BOUND.toSeconds() + " s: " + what);
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000); // poll
    }
  }
}
