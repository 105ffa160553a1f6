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
 *
 * <p>A shared hold is asked for as {@link #shared(String) item*} and kept as one entry per holder,
 * {@code item*<lease id>}, so every backend stores it as it stores any lease (and ends it with its holder):
 * any number of shared holders at once, never together with a sole holder of {@code item}. A sole holder
 * kept out only by shared ones leaves a short-lived {@code item!} entry, which keeps new shared holders out
 * until it has its turn (or stops asking), so a stream of readers cannot starve it. Resource and pool
 * names cannot contain {@code *} or {@code !}.
 */
public final class LeaseTable implements IdentifiedDataSerializable {
  /** Hazelcast factory and class ids, registered by the cluster state. */
  public static final int FACTORY_ID = 7_341;
  public static final int CLASS_ID = 20;

  /** How long a sole holder's wish outlives its last try: waiters try again every 100 ms at most. */
  static final long INTENT_MILLIS = 3_000;
  private static final String SHARED = "*";
  private static final String INTENT = "!";

  private final TreeMap<String, Lease> byItem = new TreeMap<>();

  /** What to ask {@link #take} for to hold {@code item} shared with other shared holders. */
  public static String shared(String item) {
    return item + SHARED;
  }

  /** The item an entry (or a request) is about: {@code item} for {@code item}, {@code item*...}, {@code item!}. */
  public static String itemOf(String entry) {
    int cut = entry.indexOf(SHARED);
    if (cut < 0) {
      cut = entry.indexOf(INTENT);
    }
    return cut < 0 ? entry : entry.substring(0, cut);
  }

  /** Whether an entry is a waiting sole holder's wish, not a lease. */
  public static boolean isWish(String entry) {
    return entry.endsWith(INTENT);
  }

  /** Whether {@code leaseId} holds {@code request} (as asked of {@link #take}) in {@code leases}. */
  public static boolean holds(Map<String, Lease> leases, String request, String leaseId) {
    Lease lease = leases.get(request.endsWith(SHARED) ? request + leaseId : request);
    return lease != null && lease.leaseId().equals(leaseId);
  }

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
   * An item asked for as {@link #shared(String)} is free unless another lease holds it alone or a sole
   * holder waits for it; a plain item is free only when no other lease holds it at all.
   *
   * @return the items taken, as asked for; empty when fewer than {@code count} were free
   */
  public List<String> take(List<String> items, int count, Lease lease) {
    dropExpired(lease.sinceMillis());
    List<String> free = new ArrayList<>();
    List<String> keptOutByShared = new ArrayList<>();
    for (String item : items) {
      if (free.size() >= count) {
        break;
      }
      if (item.endsWith(SHARED)) {
        String base = itemOf(item);
        boolean already = byItem.containsKey(item + lease.leaseId()); // taken over after a freeze: no wish keeps it out
        if (!heldByOther(base, lease.leaseId()) && (already || !heldByOther(base + INTENT, lease.leaseId()))) {
          free.add(item);
        }
      } else if (!heldByOther(item, lease.leaseId())) {
        if (sharedByOthers(item, lease.leaseId())) {
          keptOutByShared.add(item);
        } else {
          free.add(item);
        }
      }
    }
    if (free.size() < count) {
      long wishUntil = lease.sinceMillis() + INTENT_MILLIS;
      keptOutByShared.forEach(item -> byItem.put(item + INTENT, new Lease(lease.leaseId(), lease.owner(), lease.holder(),
          lease.sinceMillis(), Math.min(lease.renewedUntilMillis(), wishUntil), wishUntil)));
      return List.of();
    }
    free.forEach(item -> {
      byItem.merge(item.endsWith(SHARED) ? item + lease.leaseId() : item, lease, (before, again) -> new Lease(again.leaseId(),
          again.owner(), again.holder(), before.sinceMillis(), again.renewedUntilMillis(), before.maxUntilMillis()));
      Lease wish = byItem.get(itemOf(item) + INTENT);
      if (wish != null && wish.leaseId().equals(lease.leaseId())) {
        byItem.remove(itemOf(item) + INTENT);
      }
    });
    return free;
  }

  private boolean heldByOther(String entry, String leaseId) {
    Lease held = byItem.get(entry);
    return held != null && !held.leaseId().equals(leaseId);
  }

  private boolean sharedByOthers(String item, String leaseId) {
    String prefix = item + SHARED;
    return byItem.tailMap(prefix).entrySet().stream().takeWhile(e -> e.getKey().startsWith(prefix))
        .anyMatch(e -> !e.getValue().leaseId().equals(leaseId));
  }

  /** Ends the lease {@code leaseId}; returns the items it still held. */
  public List<String> release(String leaseId) {
    return removeIf(lease -> lease.leaseId().equals(leaseId));
  }

  /** Ends every lease of {@code holder} (a JVM that left); returns their items. */
  public List<String> releaseHolder(String holder) {
    return removeIf(lease -> lease.holder().equals(holder));
  }

  /**
   * Ends every lease on {@code item}, sole or shared, whoever holds it (and a sole holder's wish for it);
   * returns the leases ended by entry.
   */
  public Map<String, Lease> free(String item) {
    Map<String, Lease> ended = new TreeMap<>();
    byItem.entrySet().removeIf(e -> {
      boolean remove = itemOf(e.getKey()).equals(item);
      if (remove && !isWish(e.getKey())) {
        ended.put(e.getKey(), e.getValue());
      }
      return remove;
    });
    return ended;
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
      if (remove && !isWish(e.getKey())) {
        removed.add(itemOf(e.getKey())); // a shared hold by its item, as taken
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
