package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-mode workers (forked JVMs) whose Hazelcast service is missing at their start, or stops mid-run:
 * they never send on a guess. They wait, sending nothing, while they connect (again) within
 * PYTEST_CLUSTER_JOIN_TIMEOUT, and then keep the whole limits together; or, with no cluster in that
 * time, refuse every request with the reason. The server sees it all: nothing arrives while the workers
 * have no cluster, and never more than the limits allow.
 */
class ClusterLossTest {
  private static final Duration BOUND = Duration.ofSeconds(90);
  /** Arrivals this long after the kill were sent after it: a request admitted before it is on the wire by then. */
  private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final int CAP = 2;
  private static final double DELAY_SECONDS = 0.02;

  private final List<ForkedJvm> jvms = new ArrayList<>();
  @TempDir
  Path runDirs;

  @AfterEach
  void stop() throws InterruptedException {
    for (ForkedJvm jvm : jvms) {
      jvm.close();
    }
  }

  private Map<String, String> run(String joinTimeoutSeconds) throws IOException {
    Map<String, String> env = new HashMap<>();
    String id = "loss-" + UUID.randomUUID();
    int base = FreePorts.range(2);
    env.put("PYTEST_RUN_ID", id);
    env.put("PYTEST_CLUSTER_MODE", "embedded"); // the cluster path: the default (machine) keeps the run directory
    env.put("PYTEST_RUN_DIR", runDirs.resolve(id).toString());
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(base));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "2");
    // a member started again may find the first one's port still closing: the workers know both
    env.put("PYTEST_CLUSTER_ADDRESS", "127.0.0.1:" + base + ",127.0.0.1:" + (base + 1));
    env.put("PYTEST_CLUSTER_JOIN_TIMEOUT", joinTimeoutSeconds);
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", Integer.toString(CAP));
    env.put("PYTEST_RATE_LIMIT_DELAY", Double.toString(DELAY_SECONDS));
    return env;
  }

  private ForkedJvm member(String name, Map<String, String> env) throws IOException {
    ForkedJvm member = ForkedJvm.start(name, ClusterMember.class, env);
    jvms.add(member);
    member.awaitValue("MEMBER", BOUND);
    return member;
  }

  private ForkedJvm client(String name, Map<String, String> env, LoopbackApi api) throws IOException {
    Map<String, String> clientEnv = new HashMap<>(env);
    clientEnv.put("PYTEST_CLUSTER_MODE", "client");
    clientEnv.put("PYTEST_WORKER_ID", name);
    clientEnv.put("PYTEST_WORKERS", "1"); // a guess at the worker count that must not matter: two clients run
    ForkedJvm jvm = ForkedJvm.start(name, HammerWorker.class, clientEnv, api.url("/items").toString(), "3", "1");
    jvms.add(jvm);
    return jvm;
  }

  @Tag("long") // .ci/run runs it in its own step: mvn verify stays within 5 minutes
  @Test
  void clientsWaitForTheirClusterSendingNothingAndKeepTheWholeLimitsOnceItIsBack() throws Exception {
    Map<String, String> env = run("30");
    try (LoopbackApi api = new LoopbackApi(20)) {
      // the workers start before their cluster: they wait for it rather than send
      List<ForkedJvm> clients = List.of(client("c1", env, api), client("c2", env, api));
      ForkedJvm first = member("member", env);
      for (ForkedJvm c : clients) {
        assertTrue(c.awaitLine(l -> l.startsWith("READY"), BOUND).contains("this worker a client"), c.output());
        c.tell("STREAM");
      }
      Await.until(() -> api.received() >= 40, BOUND, "the clients send in the cluster");

      first.kill9();
      long killed = System.nanoTime();
      // each client meets the loss (its calls time out), warns, and waits while it connects again
      for (ForkedJvm c : clients) {
        c.awaitLine(l -> l.contains("lost the run's cluster"), BOUND);
      }
      long lostSeen = System.nanoTime();
      int beforeRestart = api.received();
      member("member-again", env);
      Await.until(() -> api.received() >= beforeRestart + 40, BOUND, "the clients send again in the new cluster");
      long back = api.arrivalTimesNanos().stream().filter(t -> t > lostSeen).findFirst().orElseThrow();
      for (ForkedJvm c : clients) {
        assertTrue(c.output().contains("is back in client ratelimit-" + env.get("PYTEST_RUN_ID")), c.output());
        assertTrue(!c.output().contains("REFUSED") && !c.output().contains("FAILED"), "no request refused or failed: " + c.output());
      }

      List<Long> arrivals = api.arrivalTimesNanos();
      long whileLost = arrivals.stream().filter(t -> t > killed + SETTLE_NANOS && t < back).count();
      System.out.println("cluster lost: nothing sent for " + (back - killed) / 1_000_000 + " ms (no cluster until a new member "
          + "started); first arrival after it " + (back - lostSeen) / 1_000_000 + " ms after both clients had warned");
      assertEquals(0, whileLost, "requests sent while the clients had no cluster");
      assertTrue(api.maxInFlight() <= CAP, "server saw " + api.maxInFlight() + " in flight across 2 JVMs, cap " + CAP);
      assertSpacing(arrivals);
    }
  }

  @Test
  void aClientWhoseClusterNeverComesBackRefusesToSendWithTheReason() throws Exception {
    Map<String, String> env = run("2");
    try (LoopbackApi api = new LoopbackApi(20)) {
      ForkedJvm member = member("member", env);
      ForkedJvm c = client("c1", env, api);
      c.awaitLine(l -> l.startsWith("READY"), BOUND);
      c.tell("STREAM");
      Await.until(() -> api.received() >= 20, BOUND, "the client sends in the cluster");

      member.kill9();
      long killed = System.nanoTime();
      String refused = c.awaitValue("REFUSED", BOUND);
      long refusedAfter = (System.nanoTime() - killed) / 1_000_000;
      for (String named : List.of("lost the run's cluster ratelimit-" + env.get("PYTEST_RUN_ID"), env.get("PYTEST_CLUSTER_ADDRESS"),
          "PYTEST_CLUSTER_ADDRESS", "PYTEST_CLUSTER_JOIN_TIMEOUT (2 s)", "sends no request")) {
        assertTrue(refused.contains(named), "the refusal names " + named + ": " + refused);
      }
      // it goes on refusing, and the server still sees nothing
      Await.until(() -> answer(c, "REFUSALS") >= 50, BOUND, "50 refusals");
      long sentAfter = api.arrivalTimesNanos().stream().filter(t -> t > killed + SETTLE_NANOS).count();
      assertEquals(0, sentAfter, "requests sent after the cluster was lost");
      c.tell("STATS");
      String stats = c.awaitValue("STATS", BOUND);
      assertTrue(stats.contains("none: no cluster"), stats);
      // the worker's attempts: the server's count and the 3 limited warm-up requests, which the server does not count
      assertTrue(stats.startsWith("attempts=" + (api.received() + 3) + " "), "the counters from before the loss are kept, and "
          + "equal the server's " + api.received() + " (+ 3 warm-up): " + stats);
      System.out.println("cluster lost for good: first refusal " + refusedAfter + " ms after the kill (join timeout 2 s)");
      assertTrue(api.maxInFlight() <= CAP, "server saw " + api.maxInFlight() + " in flight, cap " + CAP);
    }
  }

  /** The worker's latest answer to {@code command} ({@code <command> <number>}), asked anew. */
  private static int answer(ForkedJvm worker, String command) {
    long before = worker.output().lines().filter(l -> l.startsWith(command + " ")).count();
    try {
      worker.tell(command);
    } catch (IOException e) {
      return -1;
    }
    Await.until(() -> worker.output().lines().filter(l -> l.startsWith(command + " ")).count() > before, BOUND, "an answer to " + command);
    String last = worker.output().lines().filter(l -> l.startsWith(command + " ")).reduce((a, b) -> b).orElseThrow();
    return Integer.parseInt(last.substring(command.length() + 1).trim());
  }

  /** The spacing (see {@link StartWindows}): before, across and after the loss. */
  private static void assertSpacing(List<Long> arrivals) {
    StartWindows.assertRateKept(arrivals, Duration.ofNanos((long) (DELAY_SECONDS * 1e9)), 2 * 3, "2 clients x 3 threads, across the loss");
  }
}
