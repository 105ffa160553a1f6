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
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** When no cluster can be had, the limiter goes on in this JVM on the safe side, and says so. */
class FallbackTest {

  @Test
  void withEveryClusterPortTakenTheLimitsAreDividedByTheWorkers() throws Exception {
    int base = FreePorts.range(2);
    try (ServerSocket a = new ServerSocket(base, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(base + 1, 1, InetAddress.getLoopbackAddress());
        LoopbackApi api = new LoopbackApi(20)) {
      Map<String, String> env = Map.of("PYTEST_RUN_ID", "fallback-" + UUID.randomUUID(), "PYTEST_CLUSTER_PORT", Integer.toString(base),
          "PYTEST_CLUSTER_PORT_COUNT", "2", "PYTEST_CLUSTER_JOIN_TIMEOUT", "2", "PYTEST_WORKERS", "2",
          "PYTEST_MAX_CONCURRENT_REQUESTS", "4", "PYTEST_RATE_LIMIT_DELAY", "0");
      try (RateLimitCoordinator coordinator = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env))) {
        assertTrue(coordinator.coordination().startsWith("local (fallback: "), coordinator.coordination());
        assertTrue(coordinator.statistics().coordination().startsWith("local (fallback: "));
        OkHttpClient client = coordinator.newClient(RateLimitConfig.from(SettingsSource.ofEnvironment(env), "default"));

        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          calls.add(CompletableFuture.supplyAsync(() -> {
            try (Response r = client.newCall(new Request.Builder().url(api.url("/items")).build()).execute()) {
              return r.code();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }, java.util.concurrent.Executors.newCachedThreadPool()));
        }
        for (CompletableFuture<Integer> call : calls) {
          assertEquals(200, call.get(60, TimeUnit.SECONDS));
        }
        assertEquals(2, api.maxInFlight(), "cap 4 shared by 2 workers: this JVM's share is 2");
      }
    }
  }
}
