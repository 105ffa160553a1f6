package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/** Pushes back the expiry of every lease a live holder has on a name. */
public final class RenewLeases extends TimedProcessor<PermitTable, Boolean> {
  private String holder;
  private long leaseMillis;

  /** For deserialization. */
  public RenewLeases() {}

  RenewLeases(String holder, long leaseMillis) {
    this.holder = holder;
    this.leaseMillis = leaseMillis;
  }

  @Override
  Boolean process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue();
    if (table == null) {
      return false;
    }
    table.renew(holder, nowMillis + leaseMillis);
    entry.setValue(table);
    return true;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.RENEW_LEASES;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeString(holder);
    out.writeLong(leaseMillis);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    holder = in.readString();
    leaseMillis = in.readLong();
  }
}
