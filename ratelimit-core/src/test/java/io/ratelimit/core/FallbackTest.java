package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * When no cluster can form, the workers of a run on one machine keep the whole limits together through
 * the run directory: exact, not divided by a guess at their number. (Across JVMs: {@code NoClusterTest}.)
 */
class FallbackTest {

  @Test
  void withEveryClusterPortTakenTwoWorkersKeepTheWholeCapTogether() throws Exception {
    int base = FreePorts.range(2);
    ExecutorService callers = Executors.newCachedThreadPool();
    try (ServerSocket a = new ServerSocket(base, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(base + 1, 1, InetAddress.getLoopbackAddress());
        LoopbackApi api = new LoopbackApi(20)) {
      Map<String, String> env = new java.util.HashMap<>(Map.of("PYTEST_RUN_ID", "fallback-" + UUID.randomUUID(), "PYTEST_CLUSTER_MODE", "embedded", "PYTEST_CLUSTER_PORT", Integer.toString(base),
          "PYTEST_CLUSTER_PORT_COUNT", "2", "PYTEST_CLUSTER_JOIN_TIMEOUT", "2", "PYTEST_WORKERS", "2",
          "PYTEST_MAX_CONCURRENT_REQUESTS", "4", "PYTEST_RATE_LIMIT_DELAY", "0"));
      Map<String, String> other = new java.util.HashMap<>(env);
      env.put("PYTEST_WORKER_ID", "one");
      other.put("PYTEST_WORKER_ID", "two");
      try (RateLimitCoordinator one = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env));
          RateLimitCoordinator two = RateLimitCoordinator.start(SettingsSource.ofEnvironment(other))) {
        assertTrue(one.coordination().startsWith("run directory"), one.coordination());
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (RateLimitCoordinator worker : List.of(one, two)) {
          OkHttpClient client = worker.newClient(RateLimitConfig.from(SettingsSource.ofEnvironment(env), "default"));
          calls.addAll(send(client, api, 16, callers));
        }
        assertAllOk(calls);
        assertEquals(4, api.maxInFlight(), "the cap of 4, shared exactly by both workers");
        assertTrue(one.coordination().startsWith("run directory"), "no cluster formed: " + one.coordination());
        Await.until(() -> one.statistics().totals().attempts() == 32, java.time.Duration.ofSeconds(30),
            "one merged count of both workers' 32 attempts: " + one.statistics().byWorker());
      }
    } finally {
      callers.shutdownNow();
    }
  }

  /** Local mode by choice (a run of one JVM) is neither a refusal nor a wait: this JVM keeps the limits alone. */
  @Test
  void localModeByChoiceSendsAtOnceWithTheWholeLimits() throws Exception {
    try (LoopbackApi api = new LoopbackApi(20);
        RateLimitCoordinator alone = RateLimitCoordinator.start(SettingsSource.ofEnvironment(Map.of("PYTEST_CLUSTER_MODE", "local",
            "PYTEST_MAX_CONCURRENT_REQUESTS", "3", "PYTEST_RATE_LIMIT_DELAY", "0", "PYTEST_WORKERS", "4")))) {
      assertEquals("local", alone.coordination());
      OkHttpClient client = alone.newClient(RateLimitConfig.builder().maxConcurrentRequests(3).rateLimitDelay(java.time.Duration.ZERO).build());
      ExecutorService callers = Executors.newFixedThreadPool(8);
      try {
        assertAllOk(send(client, api, 24, callers));
      } finally {
        callers.shutdownNow();
      }
      assertEquals(3, api.maxInFlight(), "the whole cap of 3, not divided by PYTEST_WORKERS");
    }
  }

  /** {@code count} GETs of {@code /items} through {@code client}, sent at once from {@code callers}; their status codes. */
  private static List<CompletableFuture<Integer>> send(OkHttpClient client, LoopbackApi api, int count, ExecutorService callers) {
    List<CompletableFuture<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> {
        try (Response r = client.newCall(new Request.Builder().url(api.url("/items")).build()).execute()) {
          return r.code();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, callers));
    }
    return calls;
  }

  private static void assertAllOk(List<CompletableFuture<Integer>> calls) throws Exception {
    for (CompletableFuture<Integer> call : calls) {
      assertEquals(200, call.get(60, TimeUnit.SECONDS));
    }
  }
}
