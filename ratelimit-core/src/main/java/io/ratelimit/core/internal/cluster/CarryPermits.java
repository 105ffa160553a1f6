package io.ratelimit.core.internal.cluster;

import io.ratelimit.core.internal.Pacing;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Takes over one permit name's state from the run directory when the run moves to the cluster: its held
 * permits (same lease ids, their holders now members) and its pacing, so no permit is held twice and
 * no start comes sooner than the last one spaced there allows.
 */
public final class CarryPermits extends TimedProcessor<PermitTable, Void> {
  private Map<String, String> holders; // lease id to member or client UUID
  private long leaseMillis;
  private Pacing pacing = new Pacing();

  /** For deserialization. */
  public CarryPermits() {}

  CarryPermits(Map<String, String> holders, long leaseMillis, Pacing pacing) {
    this.holders = holders;
    this.leaseMillis = leaseMillis;
    this.pacing = pacing;
  }

  @Override
  Void process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    holders.forEach((leaseId, holder) -> table.add(leaseId, holder, nowMillis + leaseMillis));
    table.absorb(pacing);
    entry.setValue(table);
    return null;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.CARRY_PERMITS;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeInt(holders.size());
    for (Map.Entry<String, String> e : holders.entrySet()) {
      out.writeString(e.getKey());
      out.writeString(e.getValue());
    }
    out.writeLong(leaseMillis);
    pacing.writeTo(out);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 100_000) {
      throw new IOException("implausible permit count " + n);
    }
    holders = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      holders.put(in.readString(), in.readString());
    }
    leaseMillis = in.readLong();
    pacing = Pacing.readFrom(in);
  }
}
