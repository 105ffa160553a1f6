package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.ratelimit.core.internal.leases.LeaseTable;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Changes one lease table on its partition owner (and, with the same clock reading, its backup): take,
 * release, renew, end a holder's leases, free an item, drop expired leases. Returns the items affected.
 * An emptied table is removed.
 */
public final class LeaseProcessor extends TimedProcessor<LeaseTable, String[]> {
  enum Op { TAKE, RELEASE, RENEW, RELEASE_HOLDER, FREE, DROP_EXPIRED }

  private Op op;
  private String[] items = new String[0];
  private int count;
  private String leaseId = "";
  private String owner = "";
  private String holder = "";
  private long renewMillis;
  private long maxHoldMillis;

  /** For deserialization. */
  public LeaseProcessor() {}

  private LeaseProcessor(Op op) {
    this.op = op;
  }

  static LeaseProcessor take(List<String> items, int count, String leaseId, String owner, String holder, long renewMillis, long maxHoldMillis) {
    LeaseProcessor p = new LeaseProcessor(Op.TAKE);
    p.items = items.toArray(String[]::new);
    p.count = count;
    p.leaseId = leaseId;
    p.owner = owner;
    p.holder = holder;
    p.renewMillis = renewMillis;
    p.maxHoldMillis = maxHoldMillis;
    return p;
  }

  static LeaseProcessor release(String leaseId) {
    LeaseProcessor p = new LeaseProcessor(Op.RELEASE);
    p.leaseId = leaseId;
    return p;
  }

  static LeaseProcessor renew(String holder, long renewMillis) {
    LeaseProcessor p = new LeaseProcessor(Op.RENEW);
    p.holder = holder;
    p.renewMillis = renewMillis;
    return p;
  }

  static LeaseProcessor releaseHolder(String holder) {
    LeaseProcessor p = new LeaseProcessor(Op.RELEASE_HOLDER);
    p.holder = holder;
    return p;
  }

  static LeaseProcessor free(String item) {
    LeaseProcessor p = new LeaseProcessor(Op.FREE);
    p.items = new String[] {item};
    return p;
  }

  static LeaseProcessor dropExpired() {
    return new LeaseProcessor(Op.DROP_EXPIRED);
  }

  @Override
  String[] process(Map.Entry<String, LeaseTable> entry, long nowMillis, long nowEpochNanos) {
    LeaseTable table = entry.getValue() == null ? new LeaseTable() : entry.getValue();
    List<String> affected;
    switch (op) {
      case TAKE:
        affected = table.take(List.of(items), count,
            new LeaseTable.Lease(leaseId, owner, holder, nowMillis, nowMillis + renewMillis, nowMillis + maxHoldMillis));
        break;
      case RELEASE:
        affected = table.release(leaseId);
        break;
      case RENEW:
        table.dropExpired(nowMillis);
        affected = table.renew(holder, nowMillis + renewMillis);
        break;
      case RELEASE_HOLDER:
        affected = table.releaseHolder(holder);
        break;
      case FREE:
        affected = List.copyOf(table.free(items[0]).keySet());
        break;
      case DROP_EXPIRED:
        affected = table.dropExpired(nowMillis);
        break;
      default:
        throw new IllegalStateException("unknown lease operation " + op);
    }
    if (entry.getValue() != null || !table.isEmpty()) {
      entry.setValue(table.isEmpty() ? null : table);
    }
    return affected.toArray(String[]::new);
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.LEASE_PROCESSOR;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeInt(op.ordinal());
    out.writeStringArray(items);
    out.writeInt(count);
    out.writeString(leaseId);
    out.writeString(owner);
    out.writeString(holder);
    out.writeLong(renewMillis);
    out.writeLong(maxHoldMillis);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    int ordinal = in.readInt();
    if (ordinal < 0 || ordinal >= Op.values().length) {
      throw new IOException("unknown lease operation " + ordinal);
    }
    op = Op.values()[ordinal];
    items = in.readStringArray();
    count = in.readInt();
    leaseId = in.readString();
    owner = in.readString();
    holder = in.readString();
    renewMillis = in.readLong();
    maxHoldMillis = in.readLong();
  }
}
