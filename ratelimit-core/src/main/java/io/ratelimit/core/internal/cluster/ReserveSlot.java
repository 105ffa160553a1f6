package io.ratelimit.core.internal.cluster;

import io.ratelimit.core.internal.pacing.Pacing;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Reserves the API's next start slot in one round trip: the API's permit entry holds the next free slot
 * (so a permit and a slot can be had together, see {@link AcquirePermit}), the result is the reserved slot, both in epoch nanoseconds by the owner's clock. The caller waits until the slot
 * by its own clock, so the time the answer takes to come back does not shift the start (on one machine
 * the clocks are the same; across machines they must be NTP-synchronised).
 */
public final class ReserveSlot extends TimedProcessor<PermitTable, long[]> {
  private Pacing.Params pacing = Pacing.Params.fixed(0);
  private long leadNanos;

  /** For deserialization. */
  public ReserveSlot() {}

  /**
   * @param pacing how starts are paced
   * @param leadNanos how far ahead of the owner's now the earliest slot lies, so the answer reaches the
   *     caller before its slot and the trip back does not make the start late (and the next gap short)
   */
  ReserveSlot(Pacing.Params pacing, long leadNanos) {
    this.pacing = pacing;
    this.leadNanos = leadNanos;
  }

  @Override
  long[] process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    Pacing.Slot slot = table.reserveSlot(pacing, nowEpochNanos + leadNanos);
    entry.setValue(table);
    return slot.toArray();
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.RESERVE_SLOT;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    AcquirePermit.writePacing(out, pacing);
    out.writeLong(leadNanos);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    pacing = AcquirePermit.readPacing(in);
    leadNanos = in.readLong();
  }
}
