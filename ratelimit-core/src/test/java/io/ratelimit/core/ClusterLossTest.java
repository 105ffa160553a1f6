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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * A client-mode worker whose Hazelcast server stops mid-run: its requests go on, in bounded time, on
 * this JVM's own state (limits divided by PYTEST_WORKERS), and its counters are kept.
 */
class ClusterLossTest {
  private static final Duration BOUND = Duration.ofSeconds(60);

  @Test
  void aClientWhoseClusterStopsFallsBackToLocalModeWithoutFailingARequest() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("PYTEST_RUN_ID", "loss-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(4)));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "4");
    try (ForkedJvm member = ForkedJvm.start("member", ClusterMember.class, env); LoopbackApi api = new LoopbackApi(0)) {
      String address = member.awaitValue("MEMBER", BOUND).split(" ")[0].replace("[", "").replace("]", "");
      Map<String, String> clientEnv = new HashMap<>(env);
      clientEnv.put("PYTEST_CLUSTER_MODE", "client");
      clientEnv.put("PYTEST_CLUSTER_ADDRESS", address);
      clientEnv.put("PYTEST_CLUSTER_JOIN_TIMEOUT", "2");
      clientEnv.put("PYTEST_WORKERS", "2");
      clientEnv.put("PYTEST_MAX_CONCURRENT_REQUESTS", "4");
      clientEnv.put("PYTEST_RATE_LIMIT_DELAY", "0");
      try (RateLimitCoordinator coordinator = RateLimitCoordinator.start(SettingsSource.ofEnvironment(clientEnv))) {
        OkHttpClient client = coordinator.newClient(RateLimitConfig.from(SettingsSource.ofEnvironment(clientEnv), "default"));
        assertEquals(200, get(client, api));
        assertTrue(coordinator.statistics().coordination().contains("this worker a client"), coordinator.statistics().coordination());

        member.kill9();
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
          int status = CompletableFuture.supplyAsync(() -> get(client, api)).get(BOUND.toSeconds(), TimeUnit.SECONDS);
          assertEquals(200, status, "request " + i + " after the cluster stopped");
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(seconds < 30, "five requests took " + seconds + " s after the loss");
        RateLimitStats stats = coordinator.statistics();
        assertTrue(stats.coordination().contains("fallback: cluster lost"), stats.coordination());
        assertEquals(6, stats.totals().requests(), "the counters from before the loss are kept");
        assertEquals(6, api.received());
      }
    }
  }

  private static int get(OkHttpClient client, LoopbackApi api) {
    try (Response r = client.newCall(new Request.Builder().url(api.url("/items")).build()).execute()) {
      r.body().string();
      return r.code();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
