package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.hazelcast.RunSecret;
import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The join secret against an outsider who knows everything of a run but its run directory: the run id (the
 * run directory's name) and the port range. Two embedded worker JVMs form the run's cluster, with
 * {@code PYTEST_DEBUG=true} and Hazelcast's logging at INFO; a Hazelcast member and a Hazelcast client named
 * {@code ratelimit-<run id>} (the cluster's whole identity before the secret) try to get in: the member stays
 * alone, the client is refused within its connect timeout, neither sees the run's state, and the run's counts
 * stay as they were. Neither the secret nor the cluster name made of it is ever printed.
 */
class JoinSecretTest {
  private static final Duration BOUND = Duration.ofSeconds(90);
  private static final int PORTS = 6;
  /** What a user asks for to see everything: Hazelcast through SLF4J, its loggers at INFO. */
  private static final List<String> VERBOSE = List.of("-Dhazelcast.logging.type=slf4j", "-Dorg.slf4j.simpleLogger.log.com.hazelcast=info");

  @TempDir
  Path tmp;

  /** An embedded run's settings on its own ports and run directory, with PYTEST_DEBUG: everything it may print. */
  private static Map<String, String> embeddedRun(String runId, Path runDir, int basePort) {
    Map<String, String> env = new HashMap<>();
    env.put("PYTEST_RUN_ID", runId);
    env.put("PYTEST_CLUSTER_MODE", "embedded");
    env.put("PYTEST_RUN_DIR", runDir.toString());
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(basePort));
    env.put("PYTEST_CLUSTER_PORT_COUNT", Integer.toString(PORTS));
    env.put("PYTEST_DEBUG", "true");
    return env;
  }

  @Test
  void anOutsiderWithTheRunIdAndThePortsCanNeitherJoinNorConnectAndTheSecretIsNeverPrinted() throws Exception {
    String runId = "secret-" + UUID.randomUUID();
    int base = FreePorts.range(PORTS);
    Map<String, String> env = embeddedRun(runId, tmp.resolve("run"), base);
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "2");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0");
    List<ForkedJvm> workers = new ArrayList<>();
    try (LoopbackApi api = new LoopbackApi(0)) {
      for (String name : List.of("w1", "w2")) {
        Map<String, String> workerEnv = new HashMap<>(env);
        workerEnv.put("PYTEST_WORKER_ID", name);
        workers.add(ForkedJvm.start(name, VERBOSE, HammerWorker.class, workerEnv, api.url("/items").toString(), "2", "5"));
      }
      ForkedJvm w1 = workers.get(0);
      ForkedJvm w2 = workers.get(1);
      for (ForkedJvm w : workers) {
        w.awaitLine(l -> l.startsWith("READY"), BOUND);
      }
      w1.tell("AWAIT");
      w1.tell("2");
      assertTrue(w1.awaitValue("MEMBERS", BOUND).startsWith("2 "), w1.output());
      for (ForkedJvm w : workers) {
        w.tell("GO");
        w.awaitLine(l -> l.startsWith("DONE"), BOUND);
      }
      int received = api.received();
      assertEquals(20, received);
      String statsBefore = stats(w2, 1);

      String oldName = "ratelimit-" + runId; // everything the outsider knows
      // first as a client (once the outsider's member runs, a client of that name would find it, on the same ports)
      long start = System.nanoTime();
      assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(outsiderClient(oldName, base)),
          "a client of that name is refused");
      long took = (System.nanoTime() - start) / 1_000_000;
      assertTrue(took < 20_000, "refused within its 5 s connect timeout (and start-up): " + took + " ms");
      HazelcastInstance outsider = Hazelcast.newHazelcastInstance(outsiderMember(oldName, base));
      try {
        assertEquals(1, outsider.getCluster().getMembers().size(), "the outsider is a cluster of one");
        assertTrue(outsider.getMap("ratelimit.stats").isEmpty() && outsider.getMap("ratelimit.permits").isEmpty(),
            "the outsider sees none of the run's state");
        assertEquals(1, outsider.getCluster().getMembers().size(), "and is still alone");
      } finally {
        outsider.getLifecycleService().terminate();
      }

      w1.tell("VIEW");
      assertTrue(w1.awaitValue("VIEW", BOUND).startsWith("2 "), "the run's cluster kept its two members: " + w1.output());
      assertEquals(received, api.received(), "the server saw nothing more");
      assertEquals(statsBefore, stats(w2, 2), "the run's statistics are as they were");

      // the control: a client that reads the run directory (this machine's user) is in, and sees the run's counters
      Map<String, String> clientEnv = new HashMap<>(env);
      clientEnv.put("PYTEST_CLUSTER_MODE", "client");
      clientEnv.put("PYTEST_CLUSTER_ADDRESS", IntStream.range(base, base + PORTS).mapToObj(p -> "127.0.0.1:" + p)
          .collect(java.util.stream.Collectors.joining(",")));
      try (ClusterConnection insider = ClusterConnector.connect(ClusterSettings.from(SettingsSource.ofEnvironment(clientEnv)),
          ClusterSerialization::register)) {
        assertFalse(insider.instance().orElseThrow(() -> new AssertionError(insider.toString())).getMap("ratelimit.stats").isEmpty());
      }

      Path secretFile = tmp.resolve("run").resolve(RunSecret.FILE);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)));
      String secret = Files.readString(secretFile).trim();
      assertTrue(statsBefore.contains("cluster " + oldName + " (") && !statsBefore.contains(secret), statsBefore);
      for (ForkedJvm w : workers) {
        String output = w.output();
        assertFalse(output.contains(secret), "a worker printed the secret");
        assertFalse(output.contains(oldName + "-"), "printed the cluster's Hazelcast name (the secret's digest):\n" + output);
        // Hazelcast said everything (INFO), the cluster named as people know it
        assertTrue(output.contains("Members {size:2"), output);
        assertTrue(output.contains("Cluster name: " + oldName), output);
      }
    } finally {
      for (ForkedJvm w : workers) {
        w.close();
      }
    }
  }

  /**
   * A standalone member given {@code PYTEST_CLUSTER_SECRET} (a service several CI jobs share): a client given
   * the same secret connects from anywhere (here: with a run directory of its own, empty), one without it is
   * refused with a reason that names the variable; the secret is written nowhere and printed nowhere, and
   * the member's line names the cluster as people know it.
   */
  @Test
  void aStandaloneMemberWithTheEnvironmentsSecretServesTheClientsGivenIt() throws Exception {
    String runId = "member-" + UUID.randomUUID();
    String secret = "ci-secret-" + UUID.randomUUID();
    int base = FreePorts.range(PORTS);
    Map<String, String> env = embeddedRun(runId, tmp.resolve("member"), base);
    env.put("PYTEST_CLUSTER_SECRET", secret);
    try (ForkedJvm member = ForkedJvm.start("member", VERBOSE, ClusterMember.class, env)) {
      String line = member.awaitLine(l -> l.startsWith("MEMBER "), BOUND);
      assertTrue(line.contains(" ratelimit-" + runId + " joinMs="), line);

      Map<String, String> clientEnv = new HashMap<>(env);
      clientEnv.put("PYTEST_CLUSTER_MODE", "client");
      clientEnv.put("PYTEST_CLUSTER_ADDRESS", IntStream.range(base, base + PORTS).mapToObj(p -> "127.0.0.1:" + p)
          .collect(java.util.stream.Collectors.joining(",")));
      clientEnv.put("PYTEST_RUN_DIR", tmp.resolve("elsewhere").toString());
      clientEnv.put("PYTEST_CLUSTER_JOIN_TIMEOUT", "2");
      clientEnv.remove("PYTEST_DEBUG"); // the switch is JVM-wide: this test JVM's other tests expect it off
      try (RateLimitCoordinator client = RateLimitCoordinator.start(SettingsSource.ofEnvironment(clientEnv))) {
        assertEquals("client ratelimit-" + runId, client.coordination());
        assertEquals("cluster ratelimit-" + runId + " (1 members, this worker a client)", client.statistics().coordination());
      }
      clientEnv.remove("PYTEST_CLUSTER_SECRET");
      try (RateLimitCoordinator refused = RateLimitCoordinator.start(SettingsSource.ofEnvironment(clientEnv))) {
        String coordination = refused.coordination();
        assertTrue(coordination.startsWith("none: no cluster ratelimit-" + runId + " (no join secret")
            && coordination.contains("PYTEST_CLUSTER_SECRET"), coordination);
      }

      assertFalse(Files.exists(tmp.resolve("member").resolve(RunSecret.FILE)), "the environment's secret is not copied to a file");
      String output = member.output();
      assertFalse(output.contains(secret), "the member printed the secret:\n" + output);
      assertFalse(output.contains("ratelimit-" + runId + "-"), "the member printed the cluster's Hazelcast name:\n" + output);
      assertTrue(output.contains("Cluster name: ratelimit-" + runId), output);
    }
  }

  /**
   * The default, machine mode, has no cluster: it draws, reads and derives no secret, and loads none of that
   * code. (The JDK's SecureRandom itself is loaded anyway: {@code UUID.randomUUID()} names the run directory's
   * permits.)
   */
  @Test
  void machineModeDrawsNoSecret() throws Exception {
    Path runDir = tmp.resolve("machine");
    Map<String, String> env = Map.of("PYTEST_RUN_ID", "machine-" + UUID.randomUUID(), "PYTEST_RUN_DIR", runDir.toString());
    try (LoopbackApi api = new LoopbackApi(0); ForkedJvm program = ForkedJvm.start("machine", List.of("-Xlog:class+load=info"),
        ProgramWorker.class, env, "create", "return", api.url("/items").toString(), "3")) {
      assertEquals(0, program.awaitExit(BOUND), program.output());
      String loaded = program.output();
      assertTrue(loaded.contains("io.ratelimit.core.RateLimitCoordinator "), "the class loads are listed");
      assertEquals(3, api.received());
      assertFalse(loaded.contains("io.ratelimit.hazelcast.RunSecret "), "the secret's source never loaded");
      assertFalse(Files.exists(runDir.resolve(RunSecret.FILE)), "no secret drawn");
    }
  }

  private static String stats(ForkedJvm worker, int n) throws java.io.IOException {
    worker.tell("STATS");
    return worker.awaitLine(l -> l.startsWith("STATS"), n, BOUND);
  }

  /** A plain Hazelcast member on the run's ports, named as the run's cluster was before the secret. */
  private static Config outsiderMember(String clusterName, int base) {
    Config config = new Config();
    config.setClusterName(clusterName);
    config.setInstanceName("outsider-" + UUID.randomUUID());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.join.seconds", "5");
    config.setProperty("hazelcast.tcp.join.port.try.count", Integer.toString(PORTS));
    config.getJetConfig().setEnabled(false);
    config.getNetworkConfig().setPort(base).setPortCount(PORTS).setPortAutoIncrement(true).setPublicAddress("127.0.0.1")
        .getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    return config;
  }

  /** A plain Hazelcast client of every port of the range, under that name, trying for 5 s. */
  private static ClientConfig outsiderClient(String clusterName, int base) {
    ClientConfig config = new ClientConfig();
    config.setClusterName(clusterName);
    config.getNetworkConfig().setAddresses(IntStream.range(base, base + PORTS).mapToObj(p -> "127.0.0.1:" + p).toList());
    config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(5_000).setMaxBackoffMillis(500);
    return config;
  }
}
