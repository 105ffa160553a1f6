package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The leases held on one permit name: lease id to holder (a member or client UUID) and expiry. A
 * lease is a permit that dies with its holder: it goes when the holder leaves the cluster or when its
 * expiry passes without renewal, whichever comes first.
 */
public final class PermitTable implements IdentifiedDataSerializable {
  private final Map<String, Lease> leases = new LinkedHashMap<>();

  record Lease(String holder, long expiresAtMillis) {}

  /** Drops leases whose expiry has passed. */
  void dropExpired(long nowMillis) {
    leases.values().removeIf(lease -> lease.expiresAtMillis() <= nowMillis);
  }

  int size() {
    return leases.size();
  }

  boolean isEmpty() {
    return leases.isEmpty();
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
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      leases.put(in.readString(), new Lease(in.readString(), in.readLong()));
    }
  }
}
