package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.StrictLimiterServer.Arrival;
import io.ratelimit.core.StrictLimiterServer.Bucket;
import io.ratelimit.core.StrictLimiterServer.Header;
import io.ratelimit.core.StrictLimiterServer.ManualClock;
import io.ratelimit.core.internal.pacing.RateLimitHeaders;
import io.ratelimit.core.internal.pacing.RateLimitHeaders.Quota;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Each policy of {@link StrictLimiterServer} refuses exactly as specified: one request at a time, on a
 * {@link ManualClock} the test moves, so every decision is deterministic.
 */
class StrictLimiterServerTest {
  private static final Instant START = Instant.parse("2026-11-24T10:00:00Z");
  private static final OkHttpClient CLIENT = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(30)).build();

  private final ManualClock clock = new ManualClock(START);

  @AfterAll
  static void closeClient() {
    CLIENT.dispatcher().executorService().shutdown();
    CLIENT.connectionPool().evictAll();
  }

  /** Moves the clock to {@code ms} after the start and sends one request; returns the status. */
  private int at(StrictLimiterServer server, long ms) throws IOException {
    clock.advanceTo(Duration.ofMillis(ms));
    try (Response r = CLIENT.newCall(new Request.Builder().url(server.url("/api")).build()).execute()) {
      r.body().string();
      return r.code();
    }
  }

  private Response call(StrictLimiterServer server, long ms) throws IOException {
    clock.advanceTo(Duration.ofMillis(ms));
    return CLIENT.newCall(new Request.Builder().url(server.url("/api")).build()).execute();
  }

  @Test
  void leakyBucketWithoutBurstRefusesAnythingBeforeTheNextSlot() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.leakyBucket(10).latency(Duration.ZERO).clock(clock).start()) {
      assertEquals(200, at(server, 0));
      assertEquals(429, at(server, 0), "same instant");
      assertEquals(429, at(server, 99), "1 ms early");
      assertEquals(200, at(server, 100), "on the slot");
      assertEquals(429, at(server, 150));
      assertEquals(200, at(server, 200), "the refusal at 150 did not count");
      assertEquals(200, at(server, 1000), "idle: admitted at once");
      assertEquals(429, at(server, 1050), "idle time is not banked without burst");
      assertEquals(List.of(200, 429, 429, 200, 429, 200, 200, 429), server.arrivals().stream().map(Arrival::status).toList());
      assertEquals(-1, server.arrivals().get(1).retryAfterSeconds(), "no Retry-After, as nginx");
      assertEquals(4, server.admitted());
      assertEquals(4, server.refused());
    }
  }

  @Test
  void leakyBucketWithBurstAdmitsBPlusOneFromIdle() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.leakyBucket(10).burst(2).latency(Duration.ZERO).clock(clock).start()) {
      assertEquals(200, at(server, 0));
      assertEquals(200, at(server, 0));
      assertEquals(200, at(server, 0));
      assertEquals(429, at(server, 0), "burst 2: three at once, not four");
      assertEquals(200, at(server, 100), "one slot later: one more");
      assertEquals(429, at(server, 100));
      assertEquals(200, at(server, 1000), "idle refills the burst");
      assertEquals(200, at(server, 1000));
      assertEquals(200, at(server, 1000));
      assertEquals(429, at(server, 1000));
    }
  }

  @Test
  void leakyBucketRetryAfterWhenAsked() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.leakyBucket(1).retryAfterOnRefusal(true).latency(Duration.ZERO).clock(clock)
        .refusalStatus(503).start()) {
      assertEquals(200, at(server, 0));
      try (Response r = call(server, 100)) {
        assertEquals(503, r.code());
        assertEquals("1", r.header("Retry-After"), "0.9 s to the next slot, rounded up");
      }
    }
  }

  @Test
  void slidingWindowAdmitsAtMostRInAnySecond() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.slidingWindow(3).latency(Duration.ZERO).clock(clock).start()) {
      assertEquals(200, at(server, 0));
      assertEquals(200, at(server, 100));
      assertEquals(200, at(server, 200));
      assertEquals(429, at(server, 300));
      assertEquals(429, at(server, 999), "the one at 0 is still in the last second");
      assertEquals(200, at(server, 1000), "the one at 0 has left");
      assertEquals(429, at(server, 1001));
      assertEquals(200, at(server, 1100));
      assertEquals(200, at(server, 1200));
      assertEquals(429, at(server, 1200));
    }
  }

  @Test
  void slidingWindowCountingRefusalsLocksOutAHammeringClient() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.slidingWindow(2).countRefused(true).latency(Duration.ZERO).clock(clock).start()) {
      assertEquals(200, at(server, 0));
      assertEquals(200, at(server, 500));
      assertEquals(429, at(server, 900));
      assertEquals(429, at(server, 1000), "0 left, but the refusal at 900 counts");
      assertEquals(429, at(server, 1500), "500 left, 900 and 1000 remain");
      assertEquals(200, at(server, 2000), "900 and 1000 have left (1500 remains)");
    }
  }

  @Test
  void fixedWindowRefusesWithRetryAfterToTheWindowsEndAndTellsTheQuota() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.fixedWindow(3, Duration.ofSeconds(5)).latency(Duration.ZERO).clock(clock).start()) {
      for (int i = 0; i < 3; i++) {
        try (Response r = call(server, 1000)) {
          assertEquals(200, r.code());
          assertEquals("\"fixed\";q=3;w=5", r.header("RateLimit-Policy"));
          assertEquals("\"fixed\";r=" + (2 - i) + ";t=4", r.header("RateLimit"));
          assertEquals("3", r.header("X-RateLimit-Limit"));
          assertEquals(Integer.toString(2 - i), r.header("X-RateLimit-Remaining"));
          assertEquals(Long.toString(START.getEpochSecond() + 5), r.header("X-RateLimit-Reset"));
          assertNull(r.header("Retry-After"));
        }
      }
      try (Response r = call(server, 4200)) {
        assertEquals(429, r.code());
        assertEquals("1", r.header("Retry-After"), "0.8 s to the window's end, rounded up");
        assertEquals("\"fixed\";r=0;t=1", r.header("RateLimit"));
        Quota q = RateLimitHeaders.parse(r.headers(), clock.now(), Duration.ofSeconds(60)).orElseThrow();
        assertTrue(q.exhausted());
        assertEquals(START.plusMillis(5200), q.reset(), "t is rounded up: the parser's reset is never before the window's end");
      }
      assertEquals(200, at(server, 5000), "a new window");
      assertEquals(List.of(new Bucket(0, 4, 1), new Bucket(5_000_000_000L, 1, 0)), server.buckets(Duration.ofSeconds(5)));
    }
  }

  @Test
  void fixedWindowHeaderChoices() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.fixedWindow(2, Duration.ofSeconds(10)).headers(Header.X_RATELIMIT_DELTA)
        .latency(Duration.ZERO).clock(clock).start()) {
      try (Response r = call(server, 2500)) {
        assertNull(r.header("RateLimit"));
        assertEquals("8", r.header("X-RateLimit-Reset"), "7.5 s to the end, rounded up");
        assertEquals("1", r.header("X-RateLimit-Remaining"));
      }
    }
    try (StrictLimiterServer server = StrictLimiterServer.fixedWindow(2, Duration.ofSeconds(10)).headers().latency(Duration.ZERO)
        .clock(clock).start()) {
      try (Response r = call(server, 2500)) {
        assertNull(r.header("RateLimit"));
        assertNull(r.header("X-RateLimit-Remaining"));
      }
    }
  }

  @Test
  void pauseRefusesTheChosenArrivalsOnly() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.pause().refuse(3, Duration.ofMillis(1500)).latency(Duration.ZERO).clock(clock)
        .start()) {
      assertEquals(200, at(server, 0));
      assertEquals(200, at(server, 0));
      try (Response r = call(server, 10)) {
        assertEquals(429, r.code());
        assertEquals("2", r.header("Retry-After"));
      }
      assertEquals(200, at(server, 20));
      server.refuseNext(Duration.ofSeconds(4));
      try (Response r = call(server, 30)) {
        assertEquals(429, r.code());
        assertEquals("4", r.header("Retry-After"));
      }
      assertEquals(200, at(server, 40));
      List<Arrival> arrivals = server.arrivals();
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), arrivals.stream().map(Arrival::number).toList());
      assertEquals(2, arrivals.get(2).retryAfterSeconds());
      assertEquals(3, server.arrivalsBetween(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.MILLISECONDS.toNanos(40)));
      assertEquals(1, server.admittedBetween(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.MILLISECONDS.toNanos(40)));
      assertEquals(START.plusMillis(20), arrivals.get(3).wallTime());
    }
  }

  @Test
  void warmUpIsNeitherCountedNorLimited() throws Exception {
    try (StrictLimiterServer server = StrictLimiterServer.leakyBucket(1).latency(Duration.ZERO).clock(clock).start()) {
      for (int i = 0; i < 3; i++) {
        try (Response r = CLIENT.newCall(new Request.Builder().url(server.url("/warm-up")).build()).execute()) {
          assertEquals(200, r.code());
        }
      }
      assertEquals(0, server.attempts());
      assertEquals(200, at(server, 0));
      server.reset();
      assertEquals(0, server.attempts());
      assertEquals(200, at(server, 1), "reset forgets the bucket's state too");
    }
  }

  @Test
  void recordsRequestsInFlight() throws Exception {
    // on the system clock: three requests held 2 s each are in flight together
    try (StrictLimiterServer server = StrictLimiterServer.pause().latency(Duration.ofSeconds(2)).start()) {
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          calls.add(pool.submit(() -> {
            try (Response r = CLIENT.newCall(new Request.Builder().url(server.url("/api")).build()).execute()) {
              return r.code();
            }
          }));
        }
        Await.until(() -> server.inFlight() == 3, Duration.ofSeconds(10), "three requests in flight");
        for (Future<Integer> call : calls) {
          assertEquals(200, call.get(30, TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(3, server.maxInFlight());
      assertEquals(List.of(1, 2, 3), server.arrivals().stream().map(Arrival::inFlight).sorted().toList());
      assertEquals(0, server.inFlight());
    }
  }

  @Test
  void settingsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> StrictLimiterServer.leakyBucket(0));
    assertThrows(IllegalArgumentException.class, () -> StrictLimiterServer.fixedWindow(5, Duration.ofMillis(1500)));
    assertThrows(IllegalArgumentException.class, () -> StrictLimiterServer.slidingWindow(5).burst(2));
    assertThrows(IllegalArgumentException.class, () -> StrictLimiterServer.leakyBucket(5).refusalStatus(500));
  }
}
