package io.ratelimit.core.internal.leases;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The leases on one resource, or on the items of one pool: item to lease. Plain data and the rules that
 * change it; the local state keeps it under a lock, the cluster state changes it by entry processors.
 */
public final class LeaseTable implements IdentifiedDataSerializable {
  /** Hazelcast factory and class ids, registered by the cluster state. */
  public static final int FACTORY_ID = 7_341;
  public static final int CLASS_ID = 20;

  private final Map<String, Lease> byItem = new TreeMap<>();

  /**
   * One lease on one item.
   *
   * @param leaseId the same for every item taken together
   * @param owner worker id and test
   * @param holder the member or client UUID that renews it
   * @param sinceMillis when it was taken
   * @param renewedUntilMillis when it ends unless renewed (holders renew theirs every few seconds)
   * @param maxUntilMillis when it ends even if renewed
   */
  public record Lease(String leaseId, String owner, String holder, long sinceMillis, long renewedUntilMillis, long maxUntilMillis) {
    public long expiresAtMillis() {
      return Math.min(renewedUntilMillis, maxUntilMillis);
    }
  }

  /** A table holding {@code leases} (item to lease). */
  public static LeaseTable of(Map<String, Lease> leases) {
    LeaseTable table = new LeaseTable();
    table.byItem.putAll(leases);
    return table;
  }

  /** Drops expired leases; returns their items. */
  public List<String> dropExpired(long nowMillis) {
    return removeIf(lease -> lease.expiresAtMillis() <= nowMillis);
  }

  /**
   * Takes {@code count} of {@code items} not under a live lease, all or none, in the items' order. An item
   * already under the same lease (same id) counts as free: taking it again moves it to the new holder and
   * keeps its start and hard end (how a JVM that lost its cluster takes its own leases over in the new one).
   *
   * @return the items taken; empty when fewer than {@code count} were free
   */
  public List<String> take(List<String> items, int count, Lease lease) {
    dropExpired(lease.sinceMillis());
    List<String> free = new ArrayList<>();
    for (String item : items) {
      Lease held = byItem.get(item);
      if (free.size() < count && (held == null || held.leaseId().equals(lease.leaseId()))) {
        free.add(item);
      }
    }
    if (free.size() < count) {
      return List.of();
    }
    free.forEach(item -> byItem.merge(item, lease, (before, again) -> new Lease(again.leaseId(), again.owner(), again.holder(),
        before.sinceMillis(), again.renewedUntilMillis(), before.maxUntilMillis())));
    return free;
  }

  /** Ends the lease {@code leaseId}; returns the items it still held. */
  public List<String> release(String leaseId) {
    return removeIf(lease -> lease.leaseId().equals(leaseId));
  }

  /** Ends every lease of {@code holder} (a JVM that left); returns their items. */
  public List<String> releaseHolder(String holder) {
    return removeIf(lease -> lease.holder().equals(holder));
  }

  /** Ends the lease on {@code item}, whoever holds it; returns the item if it was held. */
  public List<String> free(String item) {
    return byItem.remove(item) == null ? List.of() : List.of(item);
  }

  /** Pushes the end of {@code holder}'s leases to {@code renewedUntilMillis}; returns their items. */
  public List<String> renew(String holder, long renewedUntilMillis) {
    List<String> renewed = new ArrayList<>();
    byItem.replaceAll((item, lease) -> {
      if (!lease.holder().equals(holder)) {
        return lease;
      }
      renewed.add(item);
      return new Lease(lease.leaseId(), lease.owner(), holder, lease.sinceMillis(), renewedUntilMillis, lease.maxUntilMillis());
    });
    return renewed;
  }

  /** Item to lease, a copy. */
  public Map<String, Lease> leases() {
    return new TreeMap<>(byItem);
  }

  public boolean isEmpty() {
    return byItem.isEmpty();
  }

  private List<String> removeIf(Predicate<Lease> test) {
    List<String> removed = new ArrayList<>();
    byItem.entrySet().removeIf(e -> {
      boolean remove = test.test(e.getValue());
      if (remove) {
        removed.add(e.getKey());
      }
      return remove;
    });
    return removed;
  }

  @Override
  public int getFactoryId() {
    return FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return CLASS_ID;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(byItem.size());
    for (Map.Entry<String, Lease> e : byItem.entrySet()) {
      Lease l = e.getValue();
      out.writeString(e.getKey());
      out.writeString(l.leaseId());
      out.writeString(l.owner());
      out.writeString(l.holder());
      out.writeLong(l.sinceMillis());
      out.writeLong(l.renewedUntilMillis());
      out.writeLong(l.maxUntilMillis());
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 100_000) {
      throw new IOException("implausible lease table size " + n);
    }
    for (int i = 0; i < n; i++) {
      byItem.put(in.readString(), new Lease(in.readString(), in.readString(), in.readString(), in.readLong(), in.readLong(), in.readLong()));
    }
  }
}
