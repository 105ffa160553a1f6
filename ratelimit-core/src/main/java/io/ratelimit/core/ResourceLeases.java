package io.ratelimit.core;

import java.time.Duration;
import java.util.List;

/**
 * Cluster-wide leases on shared test resources: a resource used by one test at a time, or a few of a
 * pool of interchangeable ones. Leases are held by an owner (a worker and a test), end when closed, when
 * their holder's JVM leaves the run, or at the latest {@code PYTEST_LEASE_TIMEOUT} after they were taken.
 * Every wait is bounded. Obtain one with {@link RateLimitCoordinator#leases(String)}; in JUnit tests let
 * the extension inject it, and it ends the test's leases with the test.
 *
 * <p>Resource names and pool items are separate name spaces: a lease on the resource {@code repo-1} does
 * not keep a pool from handing out its item {@code repo-1}.
 */
public interface ResourceLeases {

  /**
   * Waits up to {@code PYTEST_LEASE_WAIT} for the sole use of {@code resource}.
   *
   * @throws LeaseUnavailableException when it stayed held, naming its holder
   */
  ResourceLease acquire(String resource);

  /**
   * Waits up to {@code maxWait} for the sole use of {@code resource}.
   *
   * @throws LeaseUnavailableException when it stayed held, naming its holder
   */
  ResourceLease acquire(String resource, Duration maxWait);

  /**
   * Waits up to {@code PYTEST_LEASE_WAIT} for a shared use of {@code resource}: any number of shared
   * holders at once, but never together with a sole holder ({@link #acquire(String)}). Once a sole holder
   * waits, new shared holders wait behind it, so a stream of them cannot keep it out. The lease is listed
   * under the resource's name like a sole one, once per holder.
   *
   * @throws LeaseUnavailableException when a sole holder kept it, naming its holder
   */
  ResourceLease acquireShared(String resource);

  /**
   * Waits up to {@code maxWait} for a shared use of {@code resource} (see {@link #acquireShared(String)}).
   *
   * @throws LeaseUnavailableException when a sole holder kept it, naming its holder
   */
  ResourceLease acquireShared(String resource, Duration maxWait);

  /**
   * Waits up to {@code PYTEST_POOL_WAIT} until {@code count} resources of the pool named {@code pool} are
   * free at once, and takes them all in one step (never some of them).
   *
   * @throws LeaseUnavailableException when fewer came free, saying how many and who held the rest
   * @throws IllegalArgumentException when no pool of that name is declared, or it is smaller than {@code count}
   */
  ResourceLease acquireFromPool(String pool, int count);

  /**
   * Waits up to {@code maxWait} until {@code count} resources of {@code pool} are free at once, and takes
   * them in one step.
   *
   * @throws LeaseUnavailableException when fewer came free, saying how many and who held the rest
   * @throws IllegalArgumentException when the pool is smaller than {@code count}
   */
  ResourceLease acquireFromPool(ResourcePool pool, int count, Duration maxWait);

  /** The pool declared under {@code name}, by {@code PYTEST_RESOURCE_POOLS} or in code. */
  ResourcePool pool(String name);

  /** Every live lease of the run, by resource (a shared resource once per holder). */
  List<LeaseInfo> list();

  /**
   * Ends every lease on {@code resource} (a resource's own or a pool item of that name), whoever holds it:
   * for clearing a lease a hung test keeps.
   *
   * @return the leases ended
   */
  List<LeaseInfo> free(String resource);
}
