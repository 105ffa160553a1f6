package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.ratelimit.core.LeaseInfo;
import io.ratelimit.core.PermitName;
import io.ratelimit.core.ResourceLeases;
import io.ratelimit.junit.internal.RateLimitSession;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * JUnit's own {@code @ResourceLock} and {@code @Isolated} taken as run-wide leases, run by JUnit itself
 * (EngineTestKit) in one JVM: what each test holds is read from the run's lease list, never from timing.
 * {@link JUnitLocksAcrossForksTest} shows the same across forks.
 */
class JUnitLocksExtensionTest {
  static final List<String> SEEN = new CopyOnWriteArrayList<>();
  static final List<Integer> TESTS_HELD = new CopyOnWriteArrayList<>();

  @TempDir
  Path reports;

  @BeforeEach
  void start() {
    SEEN.clear();
    TESTS_HELD.clear();
  }

  @AfterEach
  void stop() {
    RateLimitSession.finishCurrent();
  }

  private Events run(Class<?> fixture, Map<String, String> extra) {
    Map<String, String> all = new HashMap<>(Map.of("junit.jupiter.execution.parallel.enabled", "true",
        "junit.jupiter.execution.parallel.mode.default", "concurrent", "junit.jupiter.execution.parallel.config.strategy", "fixed",
        "junit.jupiter.execution.parallel.config.fixed.parallelism", "4"));
    all.put("ratelimit.cluster-mode", "local");
    all.put("ratelimit.workers", "4");
    all.put("ratelimit.stats-report", reports.toString());
    all.put("ratelimit.test-slot-timeout", "20"); // a test waiting for its own class would fail, not hang
    all.putAll(extra);
    org.junit.platform.testkit.engine.EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter").configurationParameters(all).selectors(selectClass(fixture)).execute();
    results.allEvents().failed().stream().forEach(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).ifPresent(Throwable::printStackTrace));
    return results.testEvents();
  }

  /** {@code resource by owner-suffix}, for every lease held now. */
  static void record(String who, ResourceLeases leases) {
    for (LeaseInfo lease : leases.list()) {
      SEEN.add(who + ": " + lease.resource() + " by " + lease.owner().substring(lease.owner().indexOf('/') + 1));
    }
  }

  private static List<LeaseInfo> left() {
    return RateLimitSession.current().orElseThrow().coordinator().leases("check").list();
  }

  @RateLimitedApiTest
  static class MethodLocksFixture {
    @Test
    @ResourceLock("account")
    void a(ResourceLeases leases) { record("a", leases); }

    @Test
    @ResourceLock("account")
    @ResourceLock(Resources.SYSTEM_PROPERTIES)
    @ResourceLock(Resources.LOCALE)
    @ResourceLock(Resources.TIME_ZONE)
    void b(ResourceLeases leases) { record("b", leases); }
  }

  @Test
  void aMethodsLockIsTakenAroundItsTestAndPerJvmNamesStayLocal() {
    run(MethodLocksFixture.class, Map.of()).assertStatistics(s -> s.succeeded(2));
    assertEquals(Set.of("a: account by MethodLocksFixture#a", "b: account by MethodLocksFixture#b"), new TreeSet<>(SEEN),
        "one lease each, under the lock's name; system properties, locale and time zone stay JUnit's");
    assertTrue(left().isEmpty(), "ended with the tests: " + left());
  }

  @RateLimitedApiTest
  static class ReadersFixture {
    static final CyclicBarrier INSIDE = new CyclicBarrier(2);
    static final CyclicBarrier LISTED = new CyclicBarrier(2);

    @Test
    @ResourceLock(value = "account", mode = ResourceAccessMode.READ)
    void r1(ResourceLeases leases) throws Exception { both(leases, "r1"); }

    @Test
    @ResourceLock(value = "account", mode = ResourceAccessMode.READ)
    void r2(ResourceLeases leases) throws Exception { both(leases, "r2"); }

    /** Returns only once both readers are inside at once (bounded: a reader kept out fails the other). */
    private static void both(ResourceLeases leases, String who) throws Exception {
      INSIDE.await(60, TimeUnit.SECONDS);
      record(who, leases);
      LISTED.await(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void readLocksAreSharedLeasesThatOverlap() {
    ReadersFixture.INSIDE.reset();
    ReadersFixture.LISTED.reset();
    run(ReadersFixture.class, Map.of()).assertStatistics(s -> s.succeeded(2));
    Set<String> expected = Set.of("r1: account by ReadersFixture#r1", "r1: account by ReadersFixture#r2",
        "r2: account by ReadersFixture#r1", "r2: account by ReadersFixture#r2");
    assertEquals(expected, new TreeSet<>(SEEN), "both readers held the account at once, each seeing both leases");
    assertTrue(left().isEmpty(), "ended with the tests: " + left());
  }

  @RateLimitedApiTest
  @ResourceLock("alpha")
  static class ClassLocksFixture {
    @BeforeAll
    static void before(ResourceLeases leases) { record("beforeAll", leases); }

    @Test
    @ResourceLock(value = "beta", mode = ResourceAccessMode.READ)
    void m1(ResourceLeases leases) { record("m1", leases); }

    @Test
    @ExclusiveResource("gamma")
    void m2(ResourceLeases leases) { record("m2", leases); }
  }

  @Test
  void aClassWithLocksHoldsItsOwnAndItsTestsFromBeforeAllOn() {
    run(ClassLocksFixture.class, Map.of()).assertStatistics(s -> s.succeeded(2));
    Set<String> held = Set.of("alpha by ClassLocksFixture", "beta by ClassLocksFixture", "gamma by ClassLocksFixture");
    for (String who : List.of("beforeAll", "m1", "m2")) {
      assertEquals(held, SEEN.stream().filter(s -> s.startsWith(who + ": ")).map(s -> s.substring(who.length() + 2))
          .collect(Collectors.toCollection(TreeSet::new)), who + " saw the class's hold and nothing of the tests' own: " + SEEN);
    }
    assertTrue(left().isEmpty(), "ended with the class: " + left());
  }

  @RateLimitedApiTest
  @Isolated
  static class IsolatedFixture {
    @Test void i1() { TESTS_HELD.add(testsHeld()); }
    @Test void i2() { TESTS_HELD.add(testsHeld()); }
    @Test @RunAlone void i3() { TESTS_HELD.add(testsHeld()); }

    private static int testsHeld() {
      return RateLimitSession.current().orElseThrow().coordinator().permitsHeld(PermitName.tests());
    }
  }

  @Test
  void anIsolatedClassHoldsTheTurnAloneAndItsOwnTestsRunInsideIt() {
    run(IsolatedFixture.class, Map.of()).assertStatistics(s -> s.succeeded(3));
    assertEquals(List.of(1, 1, 1), TESTS_HELD, "the class's one turn, which its tests do not wait for");
    assertEquals(0, RateLimitSession.current().orElseThrow().coordinator().permitsHeld(PermitName.tests()), "ended with the class");
  }
}
