package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/** Ends every lease of a holder that left the cluster; returns how many it ended. */
public final class ReleaseHolder extends TimedProcessor<PermitTable, Integer> {
  private String holder;

  /** For deserialization. */
  public ReleaseHolder() {}

  ReleaseHolder(String holder) {
    this.holder = holder;
  }

  @Override
  Integer process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue();
    if (table == null) {
      return 0;
    }
    int removed = table.removeHolder(holder);
    if (removed > 0) {
      entry.setValue(table);
    }
    return removed;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.RELEASE_HOLDER;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeString(holder);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    holder = in.readString();
  }
}
