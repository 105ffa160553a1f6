package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.internal.leases.LeaseStore;
import io.ratelimit.core.internal.leases.LeaseTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Lease tables in the run directory's state: a lease names the participant holding it and ends when its
 * process dies (or at its hard limit), as a cluster lease ends with its member.
 */
public final class RunDirectoryLeaseStore implements LeaseStore {
  /** Waiters poll: no event crosses processes. Leases are held for whole tests, so 20 ms is prompt. */
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final RunDirectoryState state;

  RunDirectoryLeaseStore(RunDirectoryState state) {
    this.state = state;
  }

  private LeaseTable table(RunFile file, String key) {
    LeaseTable table = LeaseTable.of(file.leases.getOrDefault(key, Map.of()));
    table.dropExpired(System.currentTimeMillis());
    table.leases().values().stream().map(LeaseTable.Lease::holder).distinct()
        .filter(holder -> !state.isLive(holder)).forEach(table::releaseHolder);
    return table;
  }

  private static void put(RunFile file, String key, LeaseTable table) {
    if (table.isEmpty()) {
      file.leases.remove(key);
    } else {
      file.leases.put(key, table.leases());
    }
  }

  @Override
  public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
    long now = System.currentTimeMillis();
    return state.update(file -> {
      LeaseTable table = table(file, key);
      // a lease here ends with its holder's process, so only the hard limit is a time
      List<String> got = table.take(items, count,
          new LeaseTable.Lease(leaseId, owner, state.participantName(), now, Long.MAX_VALUE, now + maxHold.toMillis()));
      put(file, key, table);
      return got;
    });
  }

  @Override
  public List<String> release(String key, String leaseId) {
    return state.update(file -> {
      LeaseTable table = table(file, key);
      List<String> items = table.release(leaseId);
      put(file, key, table);
      return items;
    });
  }

  @Override
  public Map<String, Map<String, LeaseTable.Lease>> tables() {
    return state.update(file -> {
      Map<String, Map<String, LeaseTable.Lease>> out = new TreeMap<>();
      for (String key : List.copyOf(file.leases.keySet())) {
        LeaseTable table = table(file, key);
        put(file, key, table);
        if (!table.isEmpty()) {
          out.put(key, table.leases());
        }
      }
      return out;
    });
  }

  @Override
  public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
    return state.update(file -> {
      Map<String, Map<String, LeaseTable.Lease>> freed = new TreeMap<>();
      for (String key : List.copyOf(file.leases.keySet())) {
        LeaseTable table = table(file, key);
        Map<String, LeaseTable.Lease> ended = table.free(item);
        if (!ended.isEmpty()) {
          freed.put(key, ended);
        }
        put(file, key, table);
      }
      return freed;
    });
  }

  @Override
  public void awaitChange(String key, long nanos) throws InterruptedException {
    LockSupport.parkNanos(Math.min(nanos, POLL_NANOS));
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
  }

  @Override
  public int clearExpired() {
    return state.update(file -> {
      int dropped = 0;
      for (String key : List.copyOf(file.leases.keySet())) {
        int before = file.leases.get(key).size();
        LeaseTable table = table(file, key);
        dropped += before - table.leases().size();
        put(file, key, table);
      }
      return dropped;
    });
  }

  @Override
  public void close() {
    // the state's close ends this participant's leases together with its permits
  }
}
