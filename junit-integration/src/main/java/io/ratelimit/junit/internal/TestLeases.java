package io.ratelimit.junit.internal;

import io.ratelimit.core.LeaseInfo;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.LeaseUnavailableException;
import io.ratelimit.core.ResourceLease;
import io.ratelimit.core.ResourceLeases;
import io.ratelimit.core.ResourcePool;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.junit.jupiter.api.Assumptions;

/**
 * The leases of one test: those its annotations ask for, taken before the test's turn, and those it takes
 * itself through the injected {@link ResourceLeases}. All end with the test, in the reverse order. Kept in
 * JUnit's store: JUnit 6 closes it there as an {@code AutoCloseable}, JUnit 5 before 5.13 only as a
 * {@code CloseableResource} (deprecated in 6, present in both), which matters for leases taken in a
 * {@code @BeforeAll}, which no {@code afterEach} ends.
 */
@SuppressWarnings("deprecation")
public final class TestLeases implements AutoCloseable, org.junit.jupiter.api.extension.ExtensionContext.Store.CloseableResource {
  private final RateLimitCoordinator coordinator;
  private final ResourceLeases leases;
  private final Deque<ResourceLease> held = new ArrayDeque<>();

  public TestLeases(RateLimitCoordinator coordinator, String owner) {
    this.coordinator = coordinator;
    this.leases = coordinator.leases(owner);
  }

  /**
   * Takes the annotated resources and JUnit's run-wide locks (in name order, so no two tests wait for each
   * other; shared where only {@code READ} is asked), then the pools' items (in pool order, each pool in one step).
   *
   * @param locks name to whether the test needs it alone ({@code @ExclusiveResource}, {@code READ_WRITE})
   * @param pools pool name to how many items it needs and the annotation's items (empty when none given)
   * @throws LeaseUnavailableException when a resource stayed held past {@code PYTEST_LEASE_WAIT}: the test fails
   * @throws org.opentest4j.TestAbortedException when too few pool items came free: the test is skipped
   */
  public void take(SortedMap<String, Boolean> locks, SortedMap<String, Map.Entry<Integer, String>> pools) {
    locks.forEach((name, alone) -> {
      String lease = RunWideLocks.leaseName(name);
      held.push(alone ? leases.acquire(lease) : leases.acquireShared(lease));
    });
    pools.forEach((pool, need) -> {
      if (!need.getValue().isEmpty()) {
        coordinator.declarePool(ResourcePool.parse(pool, need.getValue())); // PYTEST_RESOURCE_POOLS wins
      }
      try {
        held.push(leases.acquireFromPool(pool, need.getKey()));
      } catch (LeaseUnavailableException tooFew) {
        Assumptions.abort(tooFew.getMessage());
      }
    });
  }

  /** The names held from {@code poolOrResource}, in the pool's order. */
  public Optional<List<String>> resources(String poolOrResource) {
    return held.stream()
        .filter(l -> poolOrResource.equals(l.pool()) || (l.pool() == null && l.resources().equals(List.of(poolOrResource))))
        .findFirst().map(ResourceLease::resources);
  }

  /** Leases taken by the test itself, ended with the test. */
  public ResourceLeases injectable() {
    return new ResourceLeases() {
      @Override
      public ResourceLease acquire(String resource) {
        return track(leases.acquire(resource));
      }

      @Override
      public ResourceLease acquire(String resource, Duration maxWait) {
        return track(leases.acquire(resource, maxWait));
      }

      @Override
      public ResourceLease acquireShared(String resource) {
        return track(leases.acquireShared(resource));
      }

      @Override
      public ResourceLease acquireShared(String resource, Duration maxWait) {
        return track(leases.acquireShared(resource, maxWait));
      }

      @Override
      public ResourceLease acquireFromPool(String pool, int count) {
        return track(leases.acquireFromPool(pool, count));
      }

      @Override
      public ResourceLease acquireFromPool(ResourcePool pool, int count, Duration maxWait) {
        return track(leases.acquireFromPool(pool, count, maxWait));
      }

      @Override
      public ResourcePool pool(String name) {
        return leases.pool(name);
      }

      @Override
      public List<LeaseInfo> list() {
        return leases.list();
      }

      @Override
      public List<LeaseInfo> free(String resource) {
        return leases.free(resource);
      }
    };
  }

  private synchronized ResourceLease track(ResourceLease lease) {
    held.push(lease);
    return lease;
  }

  /** Ends every lease of the test; closing one twice does nothing. */
  @Override
  public synchronized void close() {
    while (!held.isEmpty()) {
      held.pop().close();
    }
  }
}
