package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A plain program that uses the limiter and never closes it ends by itself, in a real forked JVM, while
 * this test JVM is a second member of the run's cluster: the program's JVM ends once its own work is done
 * (main returned, threw or called System.exit), its counts reach the cluster before it leaves, and this
 * member goes on working. The bounds are generous (a loaded 2-core machine); the times are printed.
 */
class ProgramEndTest {
  /** Generous: the JVM's start and the cluster's join included; an end takes a few seconds. */
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static final int REQUESTS = 7;

  private static Map<String, String> env;
  private static int basePort;
  private static RateLimitCoordinator otherMember;

  @BeforeAll
  static void theOtherMember() throws IOException {
    basePort = FreePorts.range(10);
    env = new HashMap<>();
    env.put("PYTEST_RUN_ID", "program-end-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_MODE", "embedded"); // the cluster path: the default (machine) keeps the run directory
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(basePort));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "10");
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "4");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0");
    // the members-mode program needs the run's secret from the environment: every JVM of the run is given it
    env.put("PYTEST_CLUSTER_SECRET", "program-end-" + UUID.randomUUID());
    otherMember = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env));
  }

  @AfterAll
  static void leave() {
    otherMember.close();
  }

  @ParameterizedTest(name = "main {1}s after using {0}")
  @CsvSource({"create, return, 0", "wrap, throw, 1", "coordinator, exit, 3"})
  void anEmbeddedMemberProgramEndsWithItsWorkAndItsCountsReachTheCluster(String entry, String ending, int status) throws Exception {
    endsAndCounts(entry + "-" + ending, Map.of(), entry, ending, status, "embedded");
  }

  @Test
  void aClientModeProgramEndsWhenMainReturns() throws Exception {
    String addresses = IntStream.range(basePort, basePort + 10).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    endsAndCounts("client", Map.of("PYTEST_CLUSTER_MODE", "client", "PYTEST_CLUSTER_ADDRESS", addresses), "create", "return", 0, "client");
  }

  @Test
  void aMembersModeProgramEndsWhenMainReturns() throws Exception {
    endsAndCounts("members", Map.of("PYTEST_CLUSTER_MODE", "members", "PYTEST_CLUSTER_MEMBERS", "127.0.0.1:" + basePort,
        "PYTEST_CLUSTER_INTERFACE", "127.0.0.1"), "create", "return", 0, "members");
  }

  /** The limiter is not closed under a thread of the program that still works after main returned. */
  @Test
  void aProgramWhoseOwnThreadWorksOnAfterMainEndsWhenThatThreadDoes() throws Exception {
    ForkedJvm program = endsAndCounts("thread", Map.of(), "create", "thread", 0, "embedded");
    assertTrue(program.output().indexOf("MAIN RETURNS") < program.output().indexOf("WATCHER LOOKED"), program.output());
  }

  /** Maven's exec:java joins the program's non-daemon threads, Hazelcast's included: the join ends too. */
  @Test
  void aProgramRunAsExecJavaRunsItEnds() throws Exception {
    ForkedJvm program = endsAndCounts("runner", Map.of(), "create", "runner", 0, "embedded");
    assertTrue(program.output().contains("RUNNER DONE"), program.output());
  }

  private ForkedJvm endsAndCounts(String name, Map<String, String> mode, String entry, String ending, int status,
      String clusterMode) throws Exception {
    Map<String, String> programEnv = new HashMap<>(env);
    programEnv.putAll(mode);
    programEnv.put("PYTEST_WORKER_ID", name);
    try (LoopbackApi api = new LoopbackApi(0); ForkedJvm program = ForkedJvm.start(name, ProgramWorker.class, programEnv, entry,
        ending, api.url("/items").toString(), Integer.toString(REQUESTS))) {
      String sent = program.awaitValue("SENT", BOUND);
      assertTrue(sent.startsWith(clusterMode + " "), "the program shared the run's limits: " + sent);
      long sentAt = System.nanoTime();

      assertEquals(status, program.awaitExit(BOUND), "the program's JVM ended by itself: " + program.output());
      System.out.printf("ProgramEndTest %s: the JVM ended %d ms after its last request%n", name,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));
      assertEquals(REQUESTS, api.received());
      assertEquals(REQUESTS, otherMember.statistics().byWorker().getOrDefault(name, ApiStats.EMPTY).attempts(),
          "its counts were flushed to the cluster before it left: " + otherMember.statistics().byWorker());

      Await.until(() -> otherMember.clusterSize() == 1, BOUND, "the program's member left the cluster");
      OkHttpClient client = otherMember.newClient(RateLimitConfig.from(SettingsSource.ofEnvironment(env), "default"));
      try (Response response = client.newCall(new Request.Builder().url(api.url("/items")).build()).execute()) {
        assertEquals(200, response.code(), "the other member goes on");
      }
      assertEquals(REQUESTS + 1, api.received());
      return program;
    }
  }
}
