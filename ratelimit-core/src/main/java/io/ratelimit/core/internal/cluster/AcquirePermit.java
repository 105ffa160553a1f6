package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/** Takes a lease on a permit name if fewer than {@code cap} live leases are held; returns whether it did. */
public final class AcquirePermit extends TimedProcessor<PermitTable, Boolean> {
  private String leaseId;
  private String holder;
  private int cap;
  private long leaseMillis;

  /** For deserialization. */
  public AcquirePermit() {}

  AcquirePermit(String leaseId, String holder, int cap, long leaseMillis) {
    this.leaseId = leaseId;
    this.holder = holder;
    this.cap = cap;
    this.leaseMillis = leaseMillis;
  }

  @Override
  Boolean process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    table.dropExpired(nowMillis);
    boolean granted = table.size() < cap;
    if (granted) {
      table.add(leaseId, holder, nowMillis + leaseMillis);
    }
    entry.setValue(table);
    return granted;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.ACQUIRE_PERMIT;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeString(leaseId);
    out.writeString(holder);
    out.writeInt(cap);
    out.writeLong(leaseMillis);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    leaseId = in.readString();
    holder = in.readString();
    cap = in.readInt();
    leaseMillis = in.readLong();
  }
}
