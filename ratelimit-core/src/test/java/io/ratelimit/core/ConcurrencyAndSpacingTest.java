package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a real loopback server sees when 32 threads share one rate-limited client. */
class ConcurrencyAndSpacingTest {
  private static final int CALLERS = 32;

  private RateLimitCoordinator coordinator;
  private ExecutorService callers;

  @BeforeEach
  void setUp() {
    coordinator = RateLimitCoordinator.local();
    callers = Executors.newFixedThreadPool(CALLERS);
  }

  @AfterEach
  void tearDown() {
    callers.shutdownNow();
    coordinator.close();
  }

  @Test
  void serverNeverSeesMoreInFlightThanTheCap() throws Exception {
    try (LoopbackApi api = new LoopbackApi(30)) {
      RateLimitConfig config = RateLimitConfig.builder().maxConcurrentRequests(4).rateLimitDelay(Duration.ZERO).build();
      OkHttpClient client = coordinator.newClient(config);

      runConcurrently(client, api, 5);

      assertEquals(CALLERS * 5, api.received());
      assertTrue(api.maxInFlight() <= 4, "server saw " + api.maxInFlight() + " requests in flight, cap is 4");
      assertEquals(4, api.maxInFlight(), "32 callers should fill the cap");
      ApiStats stats = coordinator.statistics().totals();
      assertEquals(api.received(), stats.attempts());
      assertEquals(api.received(), stats.requests());
    }
  }

  @Test
  void serverSeesStartsAtLeastTheDelayApart() throws Exception {
    Duration delay = Duration.ofMillis(40);
    try (LoopbackApi api = new LoopbackApi(1)) {
      // Open the 32 connections first, as a suite in its steady state has them: a burst of new
      // connections delays the server's own stamping of the first arrivals by tens of milliseconds.
      OkHttpClient plain = new OkHttpClient.Builder().connectionPool(new ConnectionPool(CALLERS, 5, TimeUnit.MINUTES)).build();
      runConcurrently(plain, api, 1);
      try (RateLimitCoordinator other = RateLimitCoordinator.local()) { // and run the limiter's code once
        runConcurrently(other.wrap(plain, RateLimitConfig.builder().build()), api, 1);
      }
      OkHttpClient client = coordinator.wrap(plain, RateLimitConfig.builder().maxConcurrentRequests(8).rateLimitDelay(delay).build());
      // One request first, so the burst's first start has a slot too: otherwise it goes at once, in the very
      // instant the 32 threads wake together on two cores, and a scheduler pause after its on-time check
      // shows as one short gap that the limiter cannot see. (Steady state, as in a running suite.)
      try (okhttp3.Response r = client.newCall(new okhttp3.Request.Builder().url(api.url("/warm-up")).build()).execute()) {
        r.body().string();
      }
      api.forgetArrivals();

      runConcurrently(client, api, 1);

      List<Long> gaps = api.arrivalGapsNanos();
      assertEquals(CALLERS - 1, gaps.size());
      // Each start keeps its slot, the delay after the one before. What the server stamps also carries its own
      // dispatch: under a full build one stamp lagged 6 ms, so the next gap looked 7 ms short (45.9 ms, then
      // 32.8 ms). A stamp late by less than a delay never adds a start to a window of 10 delays, so the test
      // asserts those windows (see StartWindows) and that the typical single gap is the delay.
      StartWindows.assertRateKept(api.arrivalTimesNanos(), delay, 0, "32 threads of one JVM");
      StartWindows.assertMedianGapIsTheDelay(api.arrivalTimesNanos(), delay);
      assertEquals(CALLERS + 1, coordinator.statistics().totals().attempts(), "the burst and the first request");
    }
  }

  private void runConcurrently(OkHttpClient client, LoopbackApi api, int callsEach) throws Exception {
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      done.add(callers.submit(() -> {
        for (int n = 0; n < callsEach; n++) {
          try (Response r = client.newCall(new Request.Builder().url(api.url("/items")).build()).execute()) {
            assertEquals(200, r.code());
            r.body().string();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
  }
}
