package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.LeaseInfo;
import io.ratelimit.core.ResourceLease;
import io.ratelimit.core.ResourceLeases;
import io.ratelimit.junit.internal.JUnitSettings;
import io.ratelimit.junit.internal.RateLimitSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** {@link ExclusiveResource}, {@link PoolResources} and injected {@link ResourceLeases}, run by JUnit itself (EngineTestKit). */
class ResourceLeaseExtensionTest {
  static final List<Object> SEEN = new CopyOnWriteArrayList<>();
  /** Items in use now, to detect an item handed to two tests at once. */
  static final Set<String> IN_USE = ConcurrentHashMap.newKeySet();
  static final List<String> DOUBLE_HANDOUTS = new CopyOnWriteArrayList<>();

  @TempDir
  Path reports;

  @BeforeEach
  void start() throws IOException {
    SEEN.clear();
    IN_USE.clear();
    DOUBLE_HANDOUTS.clear();
    Overlap.reset();
    RateLimitExtensionTest.api = new TestApi(100, 0);
  }

  @AfterEach
  void stop() throws IOException {
    RateLimitSession.finishCurrent();
    RateLimitExtensionTest.api.close();
    RateLimitExtensionTest.api = null;
  }

  private Map<String, String> parameters(Map<String, String> extra) {
    Map<String, String> all = new HashMap<>(Map.of("junit.jupiter.execution.parallel.enabled", "true",
        "junit.jupiter.execution.parallel.mode.default", "concurrent", "junit.jupiter.execution.parallel.config.strategy", "fixed",
        "junit.jupiter.execution.parallel.config.fixed.parallelism", "4"));
    all.put("ratelimit.cluster-mode", "local");
    all.put("ratelimit.workers", "4");
    all.put("ratelimit.stats-report", reports.toString());
    all.put("ratelimit.rate-limit-delay", "0");
    all.putAll(extra);
    return all;
  }

  private Events run(Class<?> fixture, Map<String, String> parameters) {
    return EngineTestKit.engine("junit-jupiter").configurationParameters(parameters).selectors(selectClass(fixture)).execute().testEvents();
  }

  static void use(OkHttpClient client, String name, List<String> items) {
    for (String item : items) {
      if (!IN_USE.add(item)) {
        DOUBLE_HANDOUTS.add(item + " in " + name);
      }
    }
    long start = Overlap.begin();
    RateLimitExtensionTest.get(client, "/slow");
    Overlap.end(name, start, false);
    items.forEach(IN_USE::remove);
  }

  @RateLimitedApiTest
  @ExclusiveResource("billing-account")
  static class ExclusiveFixture {
    @Test void a(OkHttpClient c, ResourceLeases leases) { SEEN.addAll(leases.list()); use(c, "a", List.of()); }
    @Test void b(OkHttpClient c) { use(c, "b", List.of()); }
    @Test void c(OkHttpClient c) { use(c, "c", List.of()); }
    @Test void d(OkHttpClient c, @Leased("billing-account") List<String> held) { SEEN.addAll(held); use(c, "d", List.of()); }
  }

  @Test
  void testsNamingAnExclusiveResourceNeverOverlapAndTheReportCountsTheirWaits() throws IOException {
    run(ExclusiveFixture.class, parameters(Map.of())).assertStatistics(s -> s.succeeded(4));
    assertEquals(1, Overlap.MAX_RUNNING.get(), "4 threads, one resource: one test at a time " + Overlap.INTERVALS);
    LeaseInfo held = (LeaseInfo) SEEN.stream().filter(LeaseInfo.class::isInstance).findFirst().orElseThrow();
    assertEquals("billing-account", held.resource());
    assertTrue(held.owner().endsWith("/ExclusiveFixture#a"), held.owner());
    assertTrue(SEEN.contains("billing-account"), "@Leased gives the resource's name: " + SEEN);

    RateLimitSession session = RateLimitSession.current().orElseThrow();
    assertTrue(session.coordinator().leases("check").list().isEmpty(), "every lease ended with its test");
    RateLimitSession.finishCurrent();
    JsonNode waits = new ObjectMapper().readTree(Files.readString(reports.resolve("ratelimit-report.json"))).get("leaseWaits");
    assertEquals(4, waits.get("billing-account").get("acquisitions").asInt(), waits.toString());
    assertTrue(waits.get("billing-account").get("maxWaitMs").asLong() > 0, "three of them waited: " + waits);
    assertTrue(Files.readString(reports.resolve("ratelimit-report.html")).contains("Lease waits"));
  }

  /** No other annotation: {@code @ExclusiveResource} turns the extension on by itself. */
  @ExclusiveResource("billing-account")
  static class ExclusiveAloneFixture {
    private static final OkHttpClient PLAIN = new OkHttpClient(); // not limited: only the lease keeps them apart
    @Test void a() { use(PLAIN, "a", List.of()); }
    @Test void b() { use(PLAIN, "b", List.of()); }
    @Test void c() { use(PLAIN, "c", List.of()); }
    @Test void d(@Leased("billing-account") List<String> held) { SEEN.addAll(held); use(PLAIN, "d", List.of()); }
  }

  @Test
  void exclusiveResourceAloneOnAClassKeepsItsTestsApart() {
    run(ExclusiveAloneFixture.class, parameters(Map.of())).assertStatistics(s -> s.succeeded(4));
    assertEquals(1, Overlap.MAX_RUNNING.get(), "4 threads, one resource: one test at a time " + Overlap.INTERVALS);
    assertEquals(List.of("billing-account"), SEEN);
  }

  /** No class annotation: {@code @PoolResources} on the methods turns the extension on by itself. */
  static class PoolAloneFixture {
    @Test
    @PoolResources(pool = "repos", count = 2, items = "repo-1..repo-3")
    void a(@Leased("repos") List<String> repos) { SEEN.add(repos); use(new OkHttpClient(), "a", repos); }

    @Test
    @PoolResources(pool = "repos", count = 2, items = "repo-1..repo-3")
    void b(@Leased("repos") List<String> repos) { SEEN.add(repos); use(new OkHttpClient(), "b", repos); }

    @Test
    @PoolResources(pool = "repos", count = 2, items = "repo-1..repo-3")
    void c(@Leased("repos") List<String> repos) { SEEN.add(repos); use(new OkHttpClient(), "c", repos); }
  }

  @Test
  void poolResourcesAloneHandsOutItemsOnceAtATime() {
    run(PoolAloneFixture.class, parameters(Map.of())).assertStatistics(s -> s.succeeded(3));
    assertEquals(List.of(), DOUBLE_HANDOUTS);
    assertEquals(3, SEEN.size());
    assertEquals(1, Overlap.MAX_RUNNING.get(), "3 items, 2 per test: one test at a time " + Overlap.INTERVALS);
  }

  @RateLimitedApiTest
  static class PoolFixture {
    @Test
    @PoolResources(pool = "repos", count = 2, items = "repo-1..repo-5")
    void a(OkHttpClient c, @Leased("repos") List<String> repos) { SEEN.add(repos); use(c, "a", repos); }

    @Test
    @PoolResources(pool = "repos", count = 2, items = "repo-1..repo-5")
    void b(OkHttpClient c, @Leased("repos") List<String> repos) { SEEN.add(repos); use(c, "b", repos); }

    @Test
    @PoolResources(pool = "repos", count = 2, items = "repo-1..repo-5")
    void c(OkHttpClient c, @Leased("repos") List<String> repos) { SEEN.add(repos); use(c, "c", repos); }

    @Test
    @PoolResources(pool = "repos", count = 3, items = "repo-1..repo-5")
    void d(OkHttpClient c, @Leased("repos") List<String> repos) { SEEN.add(repos); use(c, "d", repos); }
  }

  @Test
  void poolItemsAreNeverHandedToTwoTestsAtOnce() {
    run(PoolFixture.class, parameters(Map.of())).assertStatistics(s -> s.succeeded(4));
    assertEquals(List.of(), DOUBLE_HANDOUTS);
    assertEquals(4, SEEN.size());
    Set<Integer> sizes = new HashSet<>();
    SEEN.forEach(s -> sizes.add(((List<?>) s).size()));
    assertEquals(Set.of(2, 3), sizes);
    assertTrue(Overlap.MAX_RUNNING.get() <= 2, "5 items, 2 or 3 per test: at most two tests at once");
  }

  @RateLimitedApiTest
  static class NeedyFixture {
    @Test
    @PoolResources(pool = "repos", count = 2)
    void needsTwo(@Leased("repos") List<String> repos) { SEEN.add(repos); }
  }

  @Test
  void aTestIsSkippedWhenTooFewPoolItemsComeFreeSayingWhoHoldsThem() {
    Map<String, String> parameters = parameters(Map.of("ratelimit.resource-pools", "repos=repo-1..repo-2", "ratelimit.pool-wait", "0.3"));
    // this JVM's session, started here so this test can hold one of the two items while the fixture runs
    RateLimitSession session = RateLimitSession.get(JUnitSettings.source(key -> Optional.ofNullable(parameters.get(key))));
    try (ResourceLease mine = session.coordinator().leases("Outer#holder").acquireFromPool("repos", 1)) {
      Events events = run(NeedyFixture.class, parameters);
      events.assertStatistics(s -> s.aborted(1).failed(0));
      String message = events.aborted().stream().findFirst().orElseThrow().getPayload(TestExecutionResult.class)
          .flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("");
      assertTrue(message.contains("needs 2 of pool 'repos' (2 items) but only 1 was free after waiting 0.3 s (PYTEST_POOL_WAIT)"), message);
      assertTrue(message.contains("repo-1 by " + session.coordinator().workerId() + "/Outer#holder"), message);
      assertTrue(SEEN.isEmpty(), "the test body never ran");
      assertEquals(List.of("repo-1"), mine.resources());
    }
    assertEquals(1, session.coordinator().leaseWaits().get("pool repos").unavailable());
  }

  @RateLimitedApiTest
  static class BeforeAllLeaseFixture {
    @org.junit.jupiter.api.BeforeAll
    static void takeOne(ResourceLeases leases) {
      SEEN.add(leases.acquire("boot-account"));
    }

    @Test void uses() { }
  }

  @Test
  void aLeaseTakenInBeforeAllEndsWithTheClassOnEveryJUnitLine() {
    run(BeforeAllLeaseFixture.class, parameters(Map.of())).assertStatistics(s -> s.succeeded(1));
    assertEquals(List.of("boot-account"), ((ResourceLease) SEEN.get(0)).resources());
    List<LeaseInfo> left = RateLimitSession.current().orElseThrow().coordinator().leases("check").list();
    assertTrue(left.isEmpty(), "JUnit closed the class's store, and with it the lease: " + left);
  }

  @RateLimitedApiTest
  static class FailingFixture {
    @Test
    @ExclusiveResource("billing-account")
    void fails(ResourceLeases leases) {
      SEEN.add(leases.acquireFromPool(io.ratelimit.core.ResourcePool.of("extra", "x1"), 1, java.time.Duration.ofSeconds(1)));
      throw new AssertionError("boom");
    }
  }

  @Test
  void leasesEndWithTheTestWhateverItsOutcome() {
    run(FailingFixture.class, parameters(Map.of())).assertStatistics(s -> s.failed(1));
    ResourceLease extra = (ResourceLease) SEEN.get(0);
    assertEquals(List.of("x1"), extra.resources());
    List<LeaseInfo> left = RateLimitSession.current().orElseThrow().coordinator().leases("check").list();
    assertTrue(left.isEmpty(), "neither the annotation's lease nor the one taken in the test outlived it: " + left);
    assertFalse(DOUBLE_HANDOUTS.iterator().hasNext());
  }
}
