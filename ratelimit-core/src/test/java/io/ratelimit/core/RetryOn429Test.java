package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** 429 handling against a real loopback server: waits, caps, exhaustion and exact counts. */
class RetryOn429Test {
  private final RateLimitCoordinator coordinator = RateLimitCoordinator.local();
  private ScriptedServer server;

  @BeforeEach
  void start() throws IOException {
    server = new ScriptedServer();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    coordinator.close();
  }

  private static RateLimitConfig.Builder config() {
    return RateLimitConfig.builder().rateLimitDelay(Duration.ZERO).maxRetries(3)
        .baseBackoff(Duration.ofSeconds(5)).maxBackoff(Duration.ofSeconds(60));
  }

  private Response get(OkHttpClient client) throws IOException {
    return client.newCall(new Request.Builder().url(server.url("/things")).build()).execute();
  }

  @Test
  void waitsTheRetryAfterSecondsThenSucceeds() throws IOException {
    server.then(429, "Retry-After", "1").then(200);

    try (Response r = get(coordinator.newClient(config().build()))) {
      assertEquals(200, r.code());
      assertEquals("status 200", r.body().string());
    }

    assertEquals(2, server.received());
    assertTrue(server.gapMillis(1) >= 1000 - ClockTolerance.MILLIS, "gap " + server.gapMillis(1));
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.requests());
    assertEquals(2, s.attempts());
    assertEquals(1, s.rateLimited());
    assertEquals(1, s.retries());
    assertEquals(1, s.succeededAfterRetry());
    assertEquals(0, s.exhausted());
    assertEquals(1000, s.retryDelayTotalMs());
    assertEquals(Map.of(200, 1L, 429, 1L), s.statusCounts());
  }

  @Test
  void waitsUntilTheRetryAfterHttpDate() throws IOException {
    String inTwoSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(2));
    server.then(429, "Retry-After", inTwoSeconds).then(200);

    try (Response r = get(coordinator.newClient(config().build()))) {
      assertEquals(200, r.code());
    }

    long waited = coordinator.statistics().totals().retryDelayTotalMs();
    // the date has whole-second resolution: somewhere in (1 s, 2 s], not the 5 s base backoff
    assertTrue(waited > 900 && waited <= 2000, "waited " + waited + " ms");
    assertTrue(server.gapMillis(1) >= waited - ClockTolerance.MILLIS, "gap " + server.gapMillis(1));
  }

  @Test
  void junkNegativeAndPastRetryAfterFallBackToExponentialBackoff() throws IOException {
    String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusHours(1));
    server.then(429, "Retry-After", "soon").then(429, "Retry-After", "-5").then(429, "Retry-After", past).then(200);
    RateLimitConfig c = config().baseBackoff(Duration.ofMillis(40)).maxBackoff(Duration.ofSeconds(1)).build();

    try (Response r = get(coordinator.newClient(c))) {
      assertEquals(200, r.code());
    }

    ApiStats s = coordinator.statistics().totals();
    assertEquals(3, s.retries());
    assertEquals(4, server.received());
    // base x 2^n with +/-25% jitter: 40, 80, 160 ms, so in all between 210 and 350 ms
    assertTrue(s.retryDelayTotalMs() >= 210 && s.retryDelayTotalMs() <= 350, "total backoff " + s.retryDelayTotalMs());
    assertTrue(s.retryDelayMaxMs() >= 120 && s.retryDelayMaxMs() <= 200, "longest backoff " + s.retryDelayMaxMs());
    assertTrue(server.gapMillis(3) >= 120 - ClockTolerance.MILLIS, "gap before 3rd retry " + server.gapMillis(3));
  }

  @Test
  void hugeRetryAfterIsCappedAtMaxBackoff() throws IOException {
    server.then(429, "Retry-After", "1000000000").then(200);
    RateLimitConfig c = config().baseBackoff(Duration.ofMillis(100)).maxBackoff(Duration.ofMillis(300)).build();

    try (Response r = get(coordinator.newClient(c))) {
      assertEquals(200, r.code());
    }

    assertEquals(300, coordinator.statistics().totals().retryDelayMaxMs());
    assertTrue(server.gapMillis(1) >= 300 - ClockTolerance.MILLIS, "gap " + server.gapMillis(1));
  }

  @Test
  void whenRetriesRunOutTheLast429ReachesTheTest() throws IOException {
    for (int i = 0; i < 4; i++) {
      server.then(429, "Retry-After", "0");
    }
    server.then(200); // never reached

    try (Response r = get(coordinator.newClient(config().build()))) {
      assertEquals(429, r.code());
      assertEquals("status 429", r.body().string());
    }

    assertEquals(4, server.received());
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.requests());
    assertEquals(server.received(), s.attempts());
    assertEquals(4, s.rateLimited());
    assertEquals(3, s.retries());
    assertEquals(1, s.exhausted());
    assertEquals(0, s.succeededAfterRetry());
    assertEquals(0.0, s.successRate());
  }

  @Test
  void otherStatusesPassThroughUntouched() throws IOException {
    server.then(500).then(404).then(502);
    OkHttpClient client = coordinator.newClient(config().build());

    for (int expected : new int[] {500, 404, 502}) {
      try (Response r = get(client)) {
        assertEquals(expected, r.code());
      }
    }

    assertEquals(3, server.received());
    ApiStats s = coordinator.statistics().totals();
    assertEquals(3, s.requests());
    assertEquals(3, s.attempts());
    assertEquals(0, s.retries());
  }

  @Test
  void a503IsRetriedLikeA429AfterItsRetryAfter() throws IOException {
    server.then(503, "Retry-After", "1").then(200);

    try (Response r = get(coordinator.newClient(config().build()))) {
      assertEquals(200, r.code());
    }

    assertEquals(2, server.received());
    assertTrue(server.gapMillis(1) >= 1000 - ClockTolerance.MILLIS, "gap " + server.gapMillis(1));
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.retries());
    assertEquals(1, s.succeededAfterRetry());
    assertEquals(0, s.rateLimited(), "a 503 is not a rate-limit answer");
  }

  @Test
  void resilience4jsMetricsAndEventsSeeTheRetries() throws IOException {
    server.then(429, "Retry-After", "0").then(429, "Retry-After", "0").then(200).then(429, "Retry-After", "0").then(200);
    OkHttpClient client = coordinator.newClient(config().build());
    java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.github.resilience4j.retry.Retry retry = coordinator.retryRegistry().retry("ratelimit-default");
    retry.getEventPublisher().onEvent(e -> events.add(e.getEventType().name()));

    for (int i = 0; i < 2; i++) {
      try (Response r = get(client)) {
        assertEquals(200, r.code());
      }
    }

    assertEquals(java.util.List.of("RETRY", "RETRY", "SUCCESS", "RETRY", "SUCCESS"), events);
    assertEquals(2, retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt());
    assertEquals(3, coordinator.statistics().totals().retries(), "the same retries in the library's statistics");
  }

  @Test
  void aRetryConfigOfTheUsersOwnIsApplied() throws IOException {
    server.then(429, "Retry-After", "0").then(429, "Retry-After", "0").then(200);
    RateLimitConfig base = config().build();
    io.github.resilience4j.retry.RetryConfig once = io.github.resilience4j.retry.RetryConfig.from(RetryPolicies.of(base)).maxAttempts(2).build();
    OkHttpClient client = coordinator.newClient(config().retryConfig(once).build());

    try (Response r = get(client)) {
      assertEquals(429, r.code(), "one retry allowed, then the last 429");
    }
    assertEquals(2, server.received());
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.retries());
    assertEquals(1, s.exhausted());
    assertEquals(1, coordinator.retryRegistry().retry("ratelimit-default").getMetrics().getNumberOfFailedCallsWithRetryAttempt());
  }

  @Test
  void ioErrorsPassThroughAndAreNotRetried() throws IOException {
    server.then(new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());
    OkHttpClient noOkHttpRetry = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();

    assertThrows(IOException.class, () -> get(coordinator.wrap(noOkHttpRetry, config().build())).close());

    assertEquals(1, server.received());
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.attempts());
    assertEquals(1, s.ioErrors());
    assertEquals(0, s.retries());
  }

  @Test
  void plainClientNeitherLimitsNorRetriesButCounts() throws IOException {
    server.then(429, "Retry-After", "0").then(200);

    try (Response r = get(coordinator.newClient(config().rateLimited(false).build()))) {
      assertEquals(429, r.code());
    }

    assertEquals(1, server.received());
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.requests());
    assertEquals(1, s.attempts());
    assertEquals(1, s.rateLimited());
    assertEquals(1, s.exhausted());
  }

  /**
   * The client still returns the last 429 (code outside a test sees no change), and the test that made the
   * call hears that it was throttled: the API, the attempts, the last Retry-After and the run's spacing.
   */
  @Test
  void whenRetriesRunOutTheTestThatMadeTheCallHearsOfIt() throws IOException {
    for (int i = 0; i < 3; i++) {
      server.then(429, "Retry-After", "0");
    }
    server.then(503, "Retry-After", "1").then(200); // the last answer: not waited for (OkHttp itself repeats a 503 with 0)
    java.util.List<RateLimitExhaustedException> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    OkHttpClient client = coordinator.newClient(config().apiName("billing").rateLimitDelay(Duration.ofMillis(5)).build());
    RateLimitedClients.testAttribution().enter("A#throttled", heard::add);
    try (Response r = get(client)) {
      assertEquals(503, r.code(), "the raw last response, as before");
    } finally {
      RateLimitedClients.testAttribution().exit();
    }
    try (Response r = get(client)) {
      assertEquals(200, r.code()); // no test on this thread: nobody to tell, and nothing to tell
    }

    assertEquals(1, heard.size(), heard.toString());
    RateLimitExhaustedException e = heard.get(0);
    assertEquals("billing", e.api());
    assertEquals(RateLimitExhaustedException.Reason.RETRIES_EXHAUSTED, e.reason());
    assertEquals(4, e.attempts());
    assertEquals(503, e.lastStatus());
    assertEquals(java.util.Optional.of(Duration.ofSeconds(1)), e.lastRetryAfter());
    assertTrue(e.effectiveDelay().isPresent() && e.effectiveDelay().get().toMillis() >= 5, e.effectiveDelay().toString());
    assertTrue(e.request().startsWith("GET http://localhost:"), e.request()); // redacted: no path, no query
    assertTrue(e.getMessage().startsWith("throttled, not broken: GET http://") && e.getMessage().contains("API 'billing' answered 503 "
        + "to the last of 4 attempts"), e.getMessage());
    assertEquals(1, coordinator.testStatistics().get("A#throttled").exhausted());
    assertTrue(coordinator.pausedTime().containsKey("billing"), "the last Retry-After paused the API's starts: " + coordinator.pausedTime());
  }

  /** A request that waited PYTEST_PERMIT_TIMEOUT for a permit goes without one, and its test hears it was throttled. */
  @Test
  void aPermitTimeoutIsToldToTheTestToo() throws IOException {
    server.then(200).then(200);
    java.util.List<RateLimitExhaustedException> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    OkHttpClient client = coordinator.newClient(config().maxConcurrentRequests(1).permitTimeout(Duration.ofMillis(200)).build());
    RateLimitedClients.testAttribution().enter("A#timedOut", heard::add);
    try (Response held = get(client); Response second = get(client)) { // the first holds the one permit until closed
      assertEquals(200, second.code(), "sent without a permit, as before");
    } finally {
      RateLimitedClients.testAttribution().exit();
    }
    assertEquals(1, heard.size(), heard.toString());
    assertEquals(RateLimitExhaustedException.Reason.PERMIT_TIMEOUT, heard.get(0).reason());
    assertTrue(heard.get(0).getMessage().contains("PYTEST_PERMIT_TIMEOUT"), heard.get(0).getMessage());
    assertEquals(1, coordinator.testStatistics().get("A#timedOut").permitTimeouts());
  }

  @Test
  void wrapKeepsTheUsersInterceptorsAndTimeouts() throws IOException {
    server.then(429, "Retry-After", "0").then(200);
    OkHttpClient users = new OkHttpClient.Builder()
        .readTimeout(7, TimeUnit.SECONDS)
        .addInterceptor(chain -> chain.proceed(chain.request().newBuilder().header("Authorization", "Bearer t0k3n").build()))
        .build();

    OkHttpClient wrapped = coordinator.wrap(users, config().build());
    try (Response r = get(wrapped)) {
      assertEquals(200, r.code());
    }

    assertEquals(7_000, wrapped.readTimeoutMillis());
    assertEquals(users.connectionPool(), wrapped.connectionPool());
    assertEquals(2, server.received());
    server.requests().forEach(req -> assertEquals("Bearer t0k3n", req.getHeaders().get("Authorization")));
  }
}
