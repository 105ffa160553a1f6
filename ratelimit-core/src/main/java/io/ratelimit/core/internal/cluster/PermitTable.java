package io.ratelimit.core.internal.cluster;

import io.ratelimit.core.internal.pacing.Pacing;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The leases held on one permit name: lease id to holder (a member or client UUID) and expiry. A
 * lease is a permit that dies with its holder: it goes when the holder leaves the cluster or when its
 * expiry passes without renewal, whichever comes first. Also the queue of waiting workers, oldest
 * first, so a worker that releases a permit and asks again at once cannot overtake one that waits: a
 * waiter's ticket lives while it keeps asking, and is dropped soon after it stops.
 */
public final class PermitTable implements IdentifiedDataSerializable {
  private final Map<String, Lease> leases = new LinkedHashMap<>();
  private final Map<String, Long> waiting = new LinkedHashMap<>(); // ticket (the lease id asked for) to expiry
  private Pacing pacing = new Pacing(); // an API's start slots, epoch nanos by the owner's clock

  record Lease(String holder, long expiresAtMillis) {}

  /** Drops leases whose expiry has passed, and the tickets of waiters that stopped asking; true if any went. */
  boolean dropExpired(long nowMillis) {
    boolean leasesWent = leases.values().removeIf(lease -> lease.expiresAtMillis() <= nowMillis);
    return waiting.values().removeIf(expiry -> expiry <= nowMillis) || leasesWent;
  }

  /** Reserves the API's next start slot, paced as {@code params} say and not before {@code earliest}. */
  Pacing.Slot reserveSlot(Pacing.Params params, long earliest) {
    return pacing.reserve(params, earliest);
  }

  /** Takes in what an attempt's response told about the API. */
  void feedback(Pacing.Params params, Pacing.Feedback feedback, long nowEpochNanos) {
    pacing.feedback(params, feedback, nowEpochNanos);
  }

  /** Carries over pacing kept elsewhere (the run directory's, when the run moves to the cluster). */
  void absorb(Pacing carried) {
    pacing.absorb(carried);
  }

  /** True when no one waits, or {@code ticket} is the oldest waiter: its turn has come. */
  boolean isTurnOf(String ticket) {
    return waiting.isEmpty() || waiting.keySet().iterator().next().equals(ticket);
  }

  /**
   * Queues {@code ticket} until {@code expiresAtMillis}, or keeps it queued: a ticket that lasts past
   * {@code renewAfterMillis} already is left as it is, so a waiter asking again changes nothing (and
   * wakes no one) until its ticket is half spent.
   *
   * @return true if the table changed
   */
  boolean keepWaiting(String ticket, long expiresAtMillis, long renewAfterMillis) {
    Long expiry = waiting.get(ticket);
    if (expiry != null && expiry > renewAfterMillis) {
      return false;
    }
    waiting.put(ticket, expiresAtMillis);
    return true;
  }

  void stopWaiting(String ticket) {
    waiting.remove(ticket);
  }

  int size() {
    return leases.size();
  }

  /** True while some worker holds a place in the queue. */
  boolean hasWaiters() {
    return !waiting.isEmpty();
  }

  boolean isEmpty() {
    return leases.isEmpty() && waiting.isEmpty();
  }

  void add(String leaseId, String holder, long expiresAtMillis) {
    leases.put(leaseId, new Lease(holder, expiresAtMillis));
  }

  boolean remove(String leaseId) {
    return leases.remove(leaseId) != null;
  }

  int removeHolder(String holder) {
    int before = leases.size();
    leases.values().removeIf(lease -> lease.holder().equals(holder));
    return before - leases.size();
  }

  void renew(String holder, long expiresAtMillis) {
    leases.replaceAll((id, lease) -> lease.holder().equals(holder) ? new Lease(holder, expiresAtMillis) : lease);
  }

  /** Lease ids to holders, for listings. */
  Map<String, Lease> leases() {
    return Map.copyOf(leases);
  }

  @Override
  public int getFactoryId() {
    return ClusterSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.PERMIT_TABLE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(leases.size());
    for (Map.Entry<String, Lease> e : leases.entrySet()) {
      out.writeString(e.getKey());
      out.writeString(e.getValue().holder());
      out.writeLong(e.getValue().expiresAtMillis());
    }
    pacing.writeTo(out);
    out.writeInt(waiting.size());
    for (Map.Entry<String, Long> e : waiting.entrySet()) {
      out.writeString(e.getKey());
      out.writeLong(e.getValue());
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 10_000_000) {
      throw new IOException("implausible permit table size " + n);
    }
    for (int i = 0; i < n; i++) {
      leases.put(in.readString(), new Lease(in.readString(), in.readLong()));
    }
    pacing = Pacing.readFrom(in);
    int w = in.readInt();
    if (w < 0 || w > 100_000) {
      throw new IOException("implausible waiter count " + w);
    }
    for (int i = 0; i < w; i++) {
      waiting.put(in.readString(), in.readLong());
    }
  }
}
