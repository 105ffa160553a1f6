package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The clients of one JVM share OkHttp's pool and dispatcher; enqueue is limited like execute; wrapping twice adds nothing. */
class SharedClientsTest {
  private final RateLimitCoordinator coordinator = RateLimitCoordinator.local();

  @AfterEach
  void tearDown() {
    coordinator.close();
  }

  private static RateLimitConfig config(String api, int cap) {
    return RateLimitConfig.builder().apiName(api).maxConcurrentRequests(cap).rateLimitDelay(Duration.ZERO).build();
  }

  private static int get(OkHttpClient client, okhttp3.HttpUrl url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      response.body().string();
      return response.code();
    }
  }

  @Test
  void clientsOfOneJvmShareOneConnectionPoolAndDispatcher() throws Exception {
    OkHttpClient main = coordinator.newClient(config("default", 4));
    OkHttpClient billing = coordinator.newClient(config("billing", 2));
    try (RateLimitCoordinator other = RateLimitCoordinator.local()) {
      OkHttpClient third = other.newClient(config("default", 4));
      assertSame(main.connectionPool(), billing.connectionPool());
      assertSame(main.connectionPool(), third.connectionPool());
      assertSame(main.dispatcher(), billing.dispatcher());
      assertSame(main.dispatcher(), third.dispatcher());
    }
    try (LoopbackApi api = new LoopbackApi(0)) {
      main.connectionPool().evictAll();
      assertEquals(200, get(main, api.url("/a")));
      assertEquals(200, get(billing, api.url("/b")));
      assertEquals(1, main.connectionPool().connectionCount(), "the second API's request reused the first one's connection");
    }
  }

  @Test
  void enqueuedCallsAreLimitedAndCountedLikeSynchronousOnes() throws Exception {
    try (LoopbackApi api = new LoopbackApi(30)) {
      OkHttpClient client = coordinator.newClient(config("default", 3));
      int calls = 24;
      CountDownLatch done = new CountDownLatch(calls);
      List<Object> outcomes = new CopyOnWriteArrayList<>();
      for (int i = 0; i < calls; i++) {
        client.newCall(new Request.Builder().url(api.url("/async")).build()).enqueue(new Callback() {
          @Override
          public void onResponse(Call call, Response response) throws IOException {
            try (response) {
              response.body().string();
              outcomes.add(response.code());
            }
            done.countDown();
          }

          @Override
          public void onFailure(Call call, IOException e) {
            outcomes.add(e);
            done.countDown();
          }
        });
      }
      assertTrue(done.await(60, TimeUnit.SECONDS), "every enqueued call ended");
      assertEquals(java.util.Collections.nCopies(calls, 200), outcomes);
      assertEquals(3, api.maxInFlight(), "the server saw the cap filled, never passed");
      ApiStats stats = coordinator.statistics().totals();
      assertEquals(calls, api.received());
      assertEquals(calls, stats.requests());
      assertEquals(calls, stats.attempts());
      assertTrue(stats.permitWaitMs() > 0, "queued calls waited for permits: " + stats);
    }
  }

  @Test
  void enqueuedCallsAreRetriedAfterA429() throws Exception {
    try (ScriptedServer server = new ScriptedServer().then(429, "Retry-After", "0").then(200)) {
      OkHttpClient client = coordinator.newClient(config("default", 2));
      CountDownLatch done = new CountDownLatch(1);
      List<Integer> codes = new CopyOnWriteArrayList<>();
      client.newCall(new Request.Builder().url(server.url("/x")).build()).enqueue(new Callback() {
        @Override
        public void onResponse(Call call, Response response) {
          try (response) {
            codes.add(response.code());
          }
          done.countDown();
        }

        @Override
        public void onFailure(Call call, IOException e) {
          done.countDown();
        }
      });
      assertTrue(done.await(30, TimeUnit.SECONDS));
      assertEquals(List.of(200), codes);
      assertEquals(2, server.received());
      ApiStats stats = coordinator.statistics().totals();
      assertEquals(1, stats.requests());
      assertEquals(2, stats.attempts());
      assertEquals(1, stats.retries());
      assertEquals(1, stats.succeededAfterRetry());
    }
  }

  @Test
  void wrappingAClientTwiceDoesNotDoubleTheLimits() throws Exception {
    try (LoopbackApi api = new LoopbackApi(30)) {
      OkHttpClient plain = new OkHttpClient();
      OkHttpClient once = coordinator.wrap(plain, config("default", 2));
      OkHttpClient twice = coordinator.wrap(once, config("default", 2));
      assertEquals(once.interceptors().size(), twice.interceptors().size());
      assertEquals(once.networkInterceptors().size(), twice.networkInterceptors().size());

      java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
          results.add(callers.submit(() -> get(twice, api.url("/twice"))));
        }
        for (java.util.concurrent.Future<Integer> r : results) {
          assertEquals(200, r.get(60, TimeUnit.SECONDS));
        }
      } finally {
        callers.shutdownNow();
      }
      assertEquals(2, api.maxInFlight(), "two in flight: the cap, once");
      ApiStats stats = coordinator.statistics().totals();
      assertEquals(16, api.received());
      assertEquals(16, stats.attempts(), "each attempt counted once");
      assertEquals(16, stats.requests());
    }
  }
}
