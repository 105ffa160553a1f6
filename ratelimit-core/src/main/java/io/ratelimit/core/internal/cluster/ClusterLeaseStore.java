package io.ratelimit.core.internal.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.ratelimit.core.internal.waits.ChangeSignal;
import io.ratelimit.core.internal.leases.LeaseStore;
import io.ratelimit.core.internal.leases.LeaseTable;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.ratelimit.core.spi.Logs;
import org.slf4j.Logger;

/**
 * Lease tables in the run's cluster, one IMap entry per resource or pool, changed only by
 * {@link LeaseProcessor}s. This JVM renews its leases every few seconds; a member that leaves loses its
 * leases at once (every member listens for departures), a client that stops renewing loses them after
 * {@link ClusterLimiterState#LEASE}. Waiters are woken by entry events and re-check on their own too.
 */
public final class ClusterLeaseStore implements LeaseStore {
  private static final Logger LOG = Logs.get(ClusterLeaseStore.class);
  private static final Duration RENEW_EVERY = Duration.ofSeconds(5);

  private final HazelcastInstance hazelcast;
  private final String holder;
  private final IMap<String, LeaseTable> tables;
  private final Map<String, String> heldKeys = new ConcurrentHashMap<>(); // lease id to table key
  private final ChangeSignal changed = new ChangeSignal();
  private final ScheduledExecutorService renewer;
  private final UUID entryListener;
  private final UUID membershipListener;

  public ClusterLeaseStore(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
    this.holder = hazelcast.getLocalEndpoint().getUuid().toString();
    this.tables = hazelcast.getMap("ratelimit.leases");
    this.entryListener = tables.addEntryListener(new Changes(), false);
    this.membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {}

      @Override
      public void memberRemoved(MembershipEvent event) {
        releaseLeasesOf(event.getMember().getUuid().toString());
      }
    });
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ratelimit-lease-renewal");
      t.setDaemon(true);
      return t;
    });
    renewer.scheduleWithFixedDelay(this::renew, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private final class Changes implements EntryAddedListener<String, LeaseTable>, EntryUpdatedListener<String, LeaseTable>,
      EntryRemovedListener<String, LeaseTable> {
    @Override
    public void entryAdded(com.hazelcast.core.EntryEvent<String, LeaseTable> event) {
      signal();
    }

    @Override
    public void entryUpdated(com.hazelcast.core.EntryEvent<String, LeaseTable> event) {
      signal();
    }

    @Override
    public void entryRemoved(com.hazelcast.core.EntryEvent<String, LeaseTable> event) {
      signal();
    }
  }

  private void signal() {
    changed.signal();
  }

  @Override
  public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
    List<String> taken = Arrays.asList(tables.executeOnKey(key,
        LeaseProcessor.take(items, count, leaseId, owner, holder, ClusterLimiterState.LEASE.toMillis(), maxHold.toMillis())));
    if (!taken.isEmpty()) {
      heldKeys.put(leaseId, key);
    }
    return taken;
  }

  @Override
  public List<String> release(String key, String leaseId) {
    heldKeys.remove(leaseId);
    return Arrays.asList(tables.executeOnKey(key, LeaseProcessor.release(leaseId)));
  }

  @Override
  public Map<String, Map<String, LeaseTable.Lease>> tables() {
    long now = System.currentTimeMillis();
    Map<String, Map<String, LeaseTable.Lease>> out = new TreeMap<>();
    tables.entrySet().forEach(e -> {
      LeaseTable table = e.getValue();
      table.dropExpired(now);
      if (!table.isEmpty()) {
        out.put(e.getKey(), table.leases());
      }
    });
    return out;
  }

  @Override
  public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
    Map<String, Map<String, LeaseTable.Lease>> out = new TreeMap<>();
    tables().forEach((key, leases) -> {
      if (leases.keySet().stream().anyMatch(entry -> LeaseTable.itemOf(entry).equals(item))) {
        // the processor answers the entries it ended (a shared item has one per holder)
        List<String> ended = Arrays.asList(tables.executeOnKey(key, LeaseProcessor.free(item)));
        Map<String, LeaseTable.Lease> freed = new TreeMap<>(leases);
        freed.keySet().retainAll(ended);
        if (!freed.isEmpty()) {
          out.put(key, freed);
        }
      }
    });
    return out;
  }

  @Override
  public void awaitChange(String key, long nanos) throws InterruptedException {
    changed.await(nanos);
  }

  @Override
  public int clearExpired() {
    return tables.executeOnEntries(LeaseProcessor.dropExpired()).values().stream().mapToInt(items -> items.length).sum();
  }

  private void renew() {
    try {
      heldKeys.values().stream().distinct()
          .forEach(key -> tables.submitToKey(key, LeaseProcessor.renew(holder, ClusterLimiterState.LEASE.toMillis())));
    } catch (RuntimeException e) {
      LOG.debug("could not renew leases: {}", e.toString());
    }
  }

  private void releaseLeasesOf(String leftHolder) {
    try {
      int freed = tables.executeOnEntries(LeaseProcessor.releaseHolder(leftHolder)).values().stream().mapToInt(items -> items.length).sum();
      if (freed > 0) {
        LOG.warn("ratelimit-testkit: a worker left the cluster holding {} resource lease(s); they are free again", freed);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not free the leases of {}: {}", leftHolder, e.toString());
    }
  }

  @Override
  public void close() {
    renewer.shutdownNow();
    try {
      heldKeys.forEach((leaseId, key) -> tables.executeOnKey(key, LeaseProcessor.release(leaseId)));
      tables.removeEntryListener(entryListener);
      hazelcast.getCluster().removeMembershipListener(membershipListener);
    } catch (RuntimeException e) {
      LOG.debug("cluster already gone while closing the lease store: {}", e.toString());
    }
    heldKeys.clear();
    signal();
  }
}
