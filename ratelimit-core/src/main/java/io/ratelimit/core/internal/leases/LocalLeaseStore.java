package io.ratelimit.core.internal.leases;

import io.ratelimit.core.internal.waits.ChangeSignal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/** Lease tables kept in this JVM, under one lock; a change wakes every waiter. */
public final class LocalLeaseStore implements LeaseStore {
  private static final String HOLDER = "this-jvm";

  private final ReentrantLock lock = new ReentrantLock();
  private final ChangeSignal changed = new ChangeSignal();
  private final Map<String, LeaseTable> tables = new HashMap<>();

  @Override
  public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
    long now = System.currentTimeMillis();
    lock.lock();
    try {
      // nothing outside this JVM can die holding a lease here, so only the hard limit applies
      return tables.computeIfAbsent(key, k -> new LeaseTable())
          .take(items, count, new LeaseTable.Lease(leaseId, owner, HOLDER, now, Long.MAX_VALUE, now + maxHold.toMillis()));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<String> release(String key, String leaseId) {
    lock.lock();
    try {
      LeaseTable table = tables.get(key);
      List<String> released = table == null ? List.of() : table.release(leaseId);
      changed.signal();
      return released;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Map<String, Map<String, LeaseTable.Lease>> tables() {
    lock.lock();
    try {
      long now = System.currentTimeMillis();
      Map<String, Map<String, LeaseTable.Lease>> out = new TreeMap<>();
      tables.forEach((key, table) -> {
        table.dropExpired(now);
        if (!table.isEmpty()) {
          out.put(key, table.leases());
        }
      });
      return out;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
    lock.lock();
    try {
      Map<String, Map<String, LeaseTable.Lease>> out = new TreeMap<>();
      tables.forEach((key, table) -> {
        Map<String, LeaseTable.Lease> ended = table.free(item);
        if (!ended.isEmpty()) {
          out.put(key, ended);
        }
      });
      changed.signal();
      return out;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void awaitChange(String key, long nanos) throws InterruptedException {
    changed.await(nanos);
  }

  @Override
  public int clearExpired() {
    lock.lock();
    try {
      long now = System.currentTimeMillis();
      return tables.values().stream().mapToInt(t -> t.dropExpired(now).size()).sum();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      tables.clear();
      changed.signal();
    } finally {
      lock.unlock();
    }
  }
}
