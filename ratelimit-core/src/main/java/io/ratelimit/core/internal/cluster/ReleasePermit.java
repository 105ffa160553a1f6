package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/** Ends one lease, or withdraws a waiter's ticket of that id; returns whether the lease was still held. */
public final class ReleasePermit extends TimedProcessor<PermitTable, Boolean> {
  private String leaseId;

  /** For deserialization. */
  public ReleasePermit() {}

  ReleasePermit(String leaseId) {
    this.leaseId = leaseId;
  }

  @Override
  Boolean process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue();
    if (table == null) {
      return false;
    }
    boolean removed = table.remove(leaseId);
    table.stopWaiting(leaseId);
    table.dropExpired(nowMillis);
    entry.setValue(table);
    return removed;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.RELEASE_PERMIT;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeString(leaseId);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    leaseId = in.readString();
  }
}
