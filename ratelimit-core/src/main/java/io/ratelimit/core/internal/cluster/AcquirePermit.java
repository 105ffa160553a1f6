package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Takes a lease on a permit name if fewer than {@code cap} live leases are held and no older waiter is
 * queued; returns whether it did. A refused caller with a ticket lifetime joins (or keeps its place in)
 * the queue; one without (a first, opportunistic try) does not.
 */
public final class AcquirePermit extends TimedProcessor<PermitTable, Boolean> {
  private String leaseId;
  private String holder;
  private int cap;
  private long leaseMillis;
  private long ticketMillis;

  /** For deserialization. */
  public AcquirePermit() {}

  AcquirePermit(String leaseId, String holder, int cap, long leaseMillis, long ticketMillis) {
    this.leaseId = leaseId;
    this.holder = holder;
    this.cap = cap;
    this.leaseMillis = leaseMillis;
    this.ticketMillis = ticketMillis;
  }

  @Override
  Boolean process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    table.dropExpired(nowMillis);
    boolean granted = table.size() < cap && table.isTurnOf(leaseId);
    if (granted) {
      table.stopWaiting(leaseId);
      table.add(leaseId, holder, nowMillis + leaseMillis);
    } else if (ticketMillis > 0) {
      table.wait(leaseId, nowMillis + ticketMillis);
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
    out.writeLong(ticketMillis);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    leaseId = in.readString();
    holder = in.readString();
    cap = in.readInt();
    leaseMillis = in.readLong();
    ticketMillis = in.readLong();
  }
}
