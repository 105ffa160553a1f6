package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every port of the cluster's range taken by strangers: no cluster can form, and four worker JVMs of the
 * run still keep the limits and the leases exactly, together, through the run directory; the run says
 * so once, and one worker's statistics hold everyone's.
 */
class NoClusterTest {
  private static final Duration BOUND = Duration.ofSeconds(90);
  private static final String NO_CLUSTER_WARNING = "the run's cluster could not form";

  private final List<ForkedJvm> workers = new ArrayList<>();
  private final List<ServerSocket> strangers = new ArrayList<>();
  private Map<String, String> env;
  @TempDir
  Path temp;

  @BeforeEach
  void portsTaken() throws IOException {
    int base = FreePorts.range(3);
    for (int port = base; port < base + 3; port++) {
      strangers.add(new ServerSocket(port, 50, InetAddress.getLoopbackAddress()));
    }
    env = new HashMap<>();
    env.put("PYTEST_RUN_ID", "no-cluster-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_MODE", "embedded"); // the cluster path: the default (machine) keeps the run directory
    env.put("PYTEST_RUN_DIR", temp.resolve("run").toString());
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(base));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "3");
    env.put("PYTEST_CLUSTER_JOIN_TIMEOUT", "2");
    env.put("PYTEST_WORKERS", "2"); // a guess at the worker count that must not matter: 4 JVMs run
  }

  @AfterEach
  void stop() throws Exception {
    for (ForkedJvm worker : workers) {
      worker.close();
    }
    for (ServerSocket stranger : strangers) {
      stranger.close();
    }
  }

  private ForkedJvm start(String name, Class<?> main, String... args) throws IOException {
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PYTEST_WORKER_ID", name);
    ForkedJvm jvm = ForkedJvm.start(name, main, workerEnv, args);
    workers.add(jvm);
    return jvm;
  }

  private long warnings() {
    return workers.stream().flatMap(w -> w.output().lines()).filter(l -> l.contains(NO_CLUSTER_WARNING)).count();
  }

  @Test
  void fourWorkersKeepTheCapAndTheSpacingTogetherAndOneReportHoldsThemAll() throws Exception {
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "2");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.04");
    try (LoopbackApi api = new LoopbackApi(15)) {
      for (int w = 1; w <= 4; w++) {
        start("w" + w, HammerWorker.class, api.url("/items").toString(), "3", "8");
      }
      for (ForkedJvm w : workers) {
        assertTrue(w.awaitLine(l -> l.startsWith("READY"), BOUND).contains("READY run directory"), w.output());
      }
      api.forgetArrivals();
      for (ForkedJvm w : workers) {
        w.tell("GO");
      }
      for (ForkedJvm w : workers) {
        w.awaitLine(l -> l.startsWith("DONE"), BOUND);
      }
      assertEquals(4 * 3 * 8, api.received());
      assertTrue(api.maxInFlight() <= 2, "server saw " + api.maxInFlight() + " in flight across 4 JVMs, cap 2");
      StartWindows.assertRateKept(api.arrivalTimesNanos(), Duration.ofMillis(40), 4 * 3, "4 JVMs through the run directory");
      int warmUps = 4 * 3;
      ForkedJvm reporter = workers.get(0);
      Await.until(() -> warnings() >= 1, BOUND, "a worker found the cluster could not form");
      reporter.tell("STATS");
      String stats = reporter.awaitValue("STATS", BOUND);
      assertTrue(stats.startsWith("attempts=" + (api.received() + warmUps) + " "), "one worker's statistics hold all four: " + stats);
      assertTrue(stats.contains("run directory"), stats);
      assertEquals(1, warnings(), "the run says once that no cluster formed");
    }
  }

  @Test
  void fourWorkersNeverHoldAnExclusiveResourceAtOnce() throws Exception {
    Path uses = temp.resolve("uses");
    java.nio.file.Files.createDirectories(uses);
    for (int w = 1; w <= 4; w++) {
      start("lease" + w, LeaseWorker.class);
    }
    for (ForkedJvm w : workers) {
      assertTrue(w.awaitLine(l -> l.startsWith("READY"), BOUND).contains("run directory"), w.output());
    }
    for (ForkedJvm w : workers) {
      w.tell("EXCLUSIVE shared-account 2 5 " + uses);
    }
    for (ForkedJvm w : workers) {
      String done = w.awaitValue("DONE", BOUND);
      assertTrue(done.startsWith("uses=10 overlaps=0 "), w.output());
    }
  }
}
