package io.ratelimit.core.internal.cluster;

import io.ratelimit.core.internal.pacing.Pacing;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Takes a lease on a permit name if fewer than {@code cap} live leases are held and no older waiter is
 * queued, and with it, when a spacing is given, the API's next start slot: a request's whole admission
 * in one round trip. Returns the slot ({@link Pacing.Slot#toArray()}, epoch nanos by the owner's clock), or null when
 * refused. A refused caller with a ticket lifetime joins (or keeps its place in) the queue; one without
 * (a first, opportunistic try) does not.
 */
public final class AcquirePermit extends TimedProcessor<PermitTable, long[]> {
  private String leaseId;
  private String holder;
  private int cap;
  private long leaseMillis;
  private long ticketMillis;
  private Pacing.Params pacing = Pacing.Params.fixed(0);
  private long leadNanos;

  /** For deserialization. */
  public AcquirePermit() {}

  AcquirePermit(String leaseId, String holder, int cap, long leaseMillis, long ticketMillis) {
    this(leaseId, holder, cap, leaseMillis, ticketMillis, Pacing.Params.fixed(0), 0);
  }

  /** Also reserves a start slot paced as {@code pacing} says, at least {@code leadNanos} ahead (see {@link ReserveSlot}). */
  AcquirePermit(String leaseId, String holder, int cap, long leaseMillis, long ticketMillis, Pacing.Params pacing, long leadNanos) {
    this.leaseId = leaseId;
    this.holder = holder;
    this.cap = cap;
    this.leaseMillis = leaseMillis;
    this.ticketMillis = ticketMillis;
    this.pacing = pacing;
    this.leadNanos = leadNanos;
  }

  @Override
  long[] process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    boolean changed = table.dropExpired(nowMillis);
    long[] slot = null;
    if (table.size() < cap && table.isTurnOf(leaseId)) {
      table.stopWaiting(leaseId);
      table.add(leaseId, holder, nowMillis + leaseMillis);
      slot = (pacing.paces() ? table.reserveSlot(pacing, nowEpochNanos + leadNanos) : Pacing.Slot.NOW).toArray();
      changed = true;
    } else if (ticketMillis > 0) {
      changed |= table.keepWaiting(leaseId, nowMillis + ticketMillis, nowMillis + ticketMillis / 2);
    }
    if (changed) { // a refused waiter asking again writes nothing: no update event wakes the other waiters for it
      entry.setValue(table);
    }
    return slot;
  }

  static void writePacing(ObjectDataOutput out, Pacing.Params p) throws IOException {
    out.writeLong(p.floorNanos());
    out.writeLong(p.ceilingNanos());
    out.writeBoolean(p.adaptive());
  }

  static Pacing.Params readPacing(ObjectDataInput in) throws IOException {
    return new Pacing.Params(in.readLong(), in.readLong(), in.readBoolean());
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
    writePacing(out, pacing);
    out.writeLong(leadNanos);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    leaseId = in.readString();
    holder = in.readString();
    cap = in.readInt();
    leaseMillis = in.readLong();
    ticketMillis = in.readLong();
    pacing = readPacing(in);
    leadNanos = in.readLong();
  }
}
