package io.ratelimit.core.internal.leases;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where lease tables live: in this JVM, or in the run's cluster. Each table is changed atomically; the
 * waiting, messages and counting are {@link LeaseBroker}'s.
 */
public interface LeaseStore extends AutoCloseable {

  /**
   * Takes {@code count} of {@code items} of the table {@code key} for {@code owner}, all or none.
   *
   * @return the items taken; empty when fewer were free
   */
  List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold);

  /** Ends a lease; returns the items it still held (fewer than taken if some expired or were freed). */
  List<String> release(String key, String leaseId);

  /** Every table's live leases, by table key. */
  Map<String, Map<String, LeaseTable.Lease>> tables();

  /** Ends the lease on {@code item} in every table; returns table key to the leases ended. */
  Map<String, Map<String, LeaseTable.Lease>> free(String item);

  /** Waits up to {@code nanos} for any change to table {@code key}; returns early on a change. */
  void awaitChange(String key, long nanos) throws InterruptedException;

  /** Drops expired leases everywhere; returns how many. */
  int clearExpired();

  /** Ends this JVM's leases. */
  @Override
  void close();
}
