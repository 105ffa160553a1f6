package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A {@code members}-mode worker JVM that cannot have the run's cluster never sends on a guess: it tries
 * for PYTEST_CLUSTER_JOIN_TIMEOUT, then refuses every request and lease with a message that names the
 * cluster's addresses, the settings and what to check; one warning from this library, in bounded time,
 * whatever stands in the way. The server sees nothing. (An embedded run stays on its run directory
 * instead: {@code FallbackTest}, {@code NoClusterTest}.)
 */
class ClusterFaultsTest {
  private static final int JOIN_TIMEOUT_SECONDS = 2;
  /** Tries for the join timeout; the last may hang that plus 5 s; and a JVM's start-up on a busy machine. */
  private static final Duration BOUND = Duration.ofSeconds(2 * JOIN_TIMEOUT_SECONDS + 5 + 20);
  private static final Pattern STARTED = Pattern.compile("ms=(\\d+) coordination=(.*)");

  @Test
  void aForkThatCannotBindItsInterfaceRefusesToSend() throws Exception {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine, so no port can be bound on it
    Map<String, String> env = env("members");
    env.put("PYTEST_CLUSTER_INTERFACE", "192.0.2.1");
    env.put("PYTEST_CLUSTER_MEMBERS", "192.0.2.1:" + env.get("PYTEST_CLUSTER_PORT"));
    assertRefusesOnce(env, "cannot bind", List.of("192.0.2.1 (PYTEST_CLUSTER_INTERFACE)", env.get("PYTEST_CLUSTER_MEMBERS")
        + " (PYTEST_CLUSTER_MEMBERS)", "address of this machine"));
  }

  @Test
  void aForkWhoseJoinHangsOnASilentPeerRefusesToSend() throws Exception {
    // a stranger that accepts connections and never says a word: the join can only time out
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Map<String, String> env = env("members");
      env.put("PYTEST_CLUSTER_INTERFACE", "127.0.0.1");
      env.put("PYTEST_CLUSTER_MEMBERS", "127.0.0.1:" + silent.getLocalPort());
      assertRefusesOnce(env, "silent peer", List.of("127.0.0.1:" + silent.getLocalPort() + " (PYTEST_CLUSTER_MEMBERS)"));
    }
  }

  /**
   * Two of three members killed at the same moment: some partitions lose both copies and the survivor's
   * operations are retried while the partition table settles. That retry is bounded (about 15 s, not
   * Hazelcast's two minutes), so the survivor's requests go on, in the cluster or failed over to local.
   */
  @Test
  void twoMembersKilledAtOnceLeaveTheSurvivorWorkingInBoundedTime() throws Exception {
    Map<String, String> env = env("embedded");
    env.put("PYTEST_CLUSTER_JOIN_TIMEOUT", "10");
    try (ForkedJvm a = ForkedJvm.start("member-a", ClusterMember.class, env);
        ForkedJvm b = ForkedJvm.start("member-b", ClusterMember.class, env);
        LoopbackApi api = new LoopbackApi(0)) {
      a.awaitValue("MEMBER", BOUND);
      b.awaitValue("MEMBER", BOUND);
      Map<String, String> survivorEnv = new HashMap<>(env);
      survivorEnv.put("PYTEST_WORKER_ID", "survivor");
      try (RateLimitCoordinator survivor = RateLimitCoordinator.start(io.ratelimit.settings.SettingsSource.ofEnvironment(survivorEnv))) {
        Await.until(() -> survivor.clusterSize() == 3, BOUND, "three members");
        okhttp3.OkHttpClient client = survivor.newClient(RateLimitConfig.builder().maxConcurrentRequests(2)
            .rateLimitDelay(Duration.ZERO).build());
        send(client, api, 10);
        a.kill9();
        b.kill9();
        long start = System.nanoTime();
        send(client, api, 20);
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("two members killed at once: 20 requests took " + tookMillis + " ms; " + survivor.coordination());
        assertEquals(30, api.received());
        assertTrue(tookMillis < 30_000, "the survivor's requests go on within the bounded retry: " + tookMillis + " ms");
      }
    }
  }

  private static void send(okhttp3.OkHttpClient client, LoopbackApi api, int requests) throws IOException {
    for (int i = 0; i < requests; i++) {
      try (okhttp3.Response response = client.newCall(new okhttp3.Request.Builder().url(api.url("/items")).build()).execute()) {
        assertEquals(200, response.code());
      }
    }
  }

  private static Map<String, String> env(String mode) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PYTEST_RUN_ID", "faults-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_MODE", "embedded"); // the cluster path: the default (machine) keeps the run directory
    env.put("PYTEST_CLUSTER_MODE", mode);
    env.put("PYTEST_CLUSTER_SECRET", "faults-" + UUID.randomUUID()); // members mode needs one (a test's secret: not secret)
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(3)));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "3");
    env.put("PYTEST_CLUSTER_JOIN_TIMEOUT", Integer.toString(JOIN_TIMEOUT_SECONDS));
    return env;
  }

  /** The fork sends one request and takes one lease: both refused with the reason, nothing reaches the server. */
  private static void assertRefusesOnce(Map<String, String> env, String what, List<String> named) throws Exception {
    try (LoopbackApi api = new LoopbackApi(0);
        ForkedJvm worker = ForkedJvm.start(what, StartWorker.class, env, api.url("/items").toString())) {
      Matcher started = STARTED.matcher(worker.awaitValue("STARTED", BOUND));
      assertTrue(started.matches());
      assertEquals(0, worker.awaitExit(BOUND), worker.output());
      System.out.println(what + ": " + started.group(2) + " after " + started.group(1) + " ms\n" + worker.output());
      assertTrue(started.group(2).startsWith("none: no cluster ratelimit-" + env.get("PYTEST_RUN_ID")), what + ": " + started.group(2));
      String request = worker.awaitValue("REQUEST", BOUND);
      assertTrue(request.startsWith("REFUSED ratelimit-testkit: could not join the run's cluster"), what + ": " + request);
      List<String> always = List.of("PYTEST_CLUSTER_JOIN_TIMEOUT (" + JOIN_TIMEOUT_SECONDS + " s)", "sends no request",
          "PYTEST_RUN_ID (" + env.get("PYTEST_RUN_ID") + ")");
      for (String name : concat(named, always)) {
        assertTrue(request.contains(name), what + ": the refusal names " + name + ": " + request);
      }
      assertTrue(worker.awaitValue("LEASE", BOUND).startsWith("REFUSED ratelimit-testkit: could not join"), worker.output());
      assertEquals(0, api.received(), what + ": the server saw a request");
      long ourWarnings = worker.output().lines().filter(l -> l.contains(" WARN ") && l.contains("ratelimit-testkit:")).count();
      assertEquals(1, ourWarnings, what + ": one warning, naming the refusal\n" + worker.output());
      // documented: refusing after PYTEST_CLUSTER_JOIN_TIMEOUT, twice that plus 5 s at most (one more for a busy machine)
      assertTrue(Long.parseLong(started.group(1)) <= (2 * JOIN_TIMEOUT_SECONDS + 6) * 1000L, what + ": bounded by the join timeout");
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
