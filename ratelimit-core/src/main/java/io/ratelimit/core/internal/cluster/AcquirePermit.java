package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Takes a lease on a permit name if fewer than {@code cap} live leases are held and no older waiter is
 * queued, and with it, when a spacing is given, the API's next start slot: a request's whole admission
 * in one round trip. Returns the slot (epoch nanos by the owner's clock; 0 without spacing), or null when
 * refused. A refused caller with a ticket lifetime joins (or keeps its place in) the queue; one without
 * (a first, opportunistic try) does not.
 */
public final class AcquirePermit extends TimedProcessor<PermitTable, Long> {
  private String leaseId;
  private String holder;
  private int cap;
  private long leaseMillis;
  private long ticketMillis;
  private long spacingNanos;
  private long leadNanos;

  /** For deserialization. */
  public AcquirePermit() {}

  AcquirePermit(String leaseId, String holder, int cap, long leaseMillis, long ticketMillis) {
    this(leaseId, holder, cap, leaseMillis, ticketMillis, 0, 0);
  }

  /** Also reserves a start slot {@code spacingNanos} after the previous one, at least {@code leadNanos} ahead (see {@link ReserveSlot}). */
  AcquirePermit(String leaseId, String holder, int cap, long leaseMillis, long ticketMillis, long spacingNanos, long leadNanos) {
    this.leaseId = leaseId;
    this.holder = holder;
    this.cap = cap;
    this.leaseMillis = leaseMillis;
    this.ticketMillis = ticketMillis;
    this.spacingNanos = spacingNanos;
    this.leadNanos = leadNanos;
  }

  @Override
  Long process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    table.dropExpired(nowMillis);
    Long slot = null;
    if (table.size() < cap && table.isTurnOf(leaseId)) {
      table.stopWaiting(leaseId);
      table.add(leaseId, holder, nowMillis + leaseMillis);
      slot = spacingNanos > 0 ? table.reserveSlot(spacingNanos, nowEpochNanos + leadNanos) : 0L;
    } else if (ticketMillis > 0) {
      table.wait(leaseId, nowMillis + ticketMillis);
    }
    entry.setValue(table);
    return slot;
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
    out.writeLong(spacingNanos);
    out.writeLong(leadNanos);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    leaseId = in.readString();
    holder = in.readString();
    cap = in.readInt();
    leaseMillis = in.readLong();
    ticketMillis = in.readLong();
    spacingNanos = in.readLong();
    leadNanos = in.readLong();
  }
}
