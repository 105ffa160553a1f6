package io.ratelimit.core.internal.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.core.internal.LeaseTable;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.core.internal.rundir.RunFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;

/**
 * The run's move from the run directory into its cluster, as one JVM takes part in it: readying this JVM's
 * path into the cluster before it counts as joined, and, for the JVM that moves the run, carrying the
 * directory's state over in one round trip.
 */
public final class RunMove {
  private static final Logger LOG = Logs.get(RunMove.class);
  private static final long LEASE_MILLIS = ClusterLimiterState.LEASE.toMillis();

  private final HazelcastInstance hazelcast;
  private final RunMaps maps;
  private final ClusterLeaseStore leases;

  RunMove(HazelcastInstance hazelcast, RunMaps maps, ClusterLeaseStore leases) {
    this.hazelcast = hazelcast;
    this.maps = maps;
    this.leases = leases;
  }

  /**
   * Readies this JVM's path into the cluster before it says it has joined, while the run directory still
   * keeps the run's limits: waits (bounded) until no partition is migrating, so the move and the first
   * admissions after it do not stall in Hazelcast's migration retries, and makes the first calls (code
   * loaded, connections and record stores warm) on the entries the move will use. Bounded by {@code bound}; a
   * cluster that stays unsafe is moved into anyway (Hazelcast retries the calls), only later.
   *
   * @param permitNames the permit names the run directory holds (their entries are read once)
   */
  public void prepare(Set<String> permitNames, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    try {
      com.hazelcast.partition.PartitionService partitions = hazelcast.getPartitionService();
      while (!partitions.isClusterSafe() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    } catch (UnsupportedOperationException client) {
      // a client has no view of migrations: its calls are routed by the members
    }
    try {
      permitNames.forEach(maps.permits()::get);
      maps.window().get(ClusterLimiterState.WINDOW_KEY);
      leases.clearExpired(); // a cluster the run joins may hold leases that ended while no one was there
    } catch (RuntimeException e) {
      LOG.debug("could not ready the cluster path before the move: {}", e.toString()); // the move makes the same calls
    }
  }

  /**
   * Takes over the run directory's state when the run moves here, under the directory's lock (see
   * {@link RunDirectoryState.Carrier}): held permits and their start slots, leases, the run mode, claims,
   * documents, the counters of workers that already left, the window of recent attempts. Every write is
   * sent at once and waited for together, so the directory's lock is held for one round trip, not one
   * per entry.
   */
  public void carry(RunFile state, Map<String, String> statistics, Map<String, Map<String, String>> documents,
      Map<String, String> claims) {
    long now = System.currentTimeMillis();
    List<CompletableFuture<?>> writes = new ArrayList<>();
    state.permits.forEach((name, entry) -> {
      Map<String, String> holders = new LinkedHashMap<>();
      entry.held.forEach((leaseId, participant) -> {
        String member = state.participants.get(participant);
        if (member != null && !member.isEmpty()) {
          holders.put(leaseId, member);
        }
      });
      writes.add(maps.permits().submitToKey(name, new CarryPermits(holders, LEASE_MILLIS, entry.pacing)).toCompletableFuture());
    });
    state.leases.forEach((key, items) -> {
      Map<String, LeaseTable.Lease> carried = new TreeMap<>();
      items.forEach((item, lease) -> {
        String member = state.participants.get(lease.holder());
        if (member != null && !member.isEmpty()) {
          carried.put(item, new LeaseTable.Lease(lease.leaseId(), lease.owner(), member, lease.sinceMillis(), now + LEASE_MILLIS,
              lease.maxUntilMillis()));
        }
      });
      writes.add(leases.carry(key, carried));
    });
    if (state.mode != null) {
      writes.add(maps.run().submitToKey(ClusterLimiterState.MODE_KEY, new SwitchMode(state.mode)).toCompletableFuture());
    }
    documents.forEach((kind, byWorker) -> byWorker.forEach((worker, document) ->
        writes.add(maps.documents().setAsync(kind + "/" + worker, document).toCompletableFuture())));
    writes.add(maps.window().setAsync(ClusterLimiterState.WINDOW_KEY, state.window).toCompletableFuture());
    // IMap has no asynchronous putIfAbsent: these few go one by one while the writes above are on their way
    claims.forEach((key, worker) -> maps.run().putIfAbsent("claim/" + key, worker));
    statistics.forEach(maps.stats()::putIfAbsent);
    try {
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
          .get(LEASE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while carrying the run's state into its cluster", e);
    } catch (ExecutionException | TimeoutException e) {
      // the directory stays the run's state: nothing is marked moved, the next tick tries again
      throw new IllegalStateException("could not carry the run's state into its cluster: " + e, e);
    }
  }

}
