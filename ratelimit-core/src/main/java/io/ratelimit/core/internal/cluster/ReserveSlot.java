package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.ratelimit.core.internal.StartSlots;
import java.io.IOException;
import java.util.Map;

/**
 * Reserves the API's next start slot in one round trip: the entry holds the next free slot (epoch
 * nanoseconds by the owner's clock); the result is how long the caller waits from now.
 */
public final class ReserveSlot extends TimedProcessor<Long, Long> {
  private long spacingNanos;

  /** For deserialization. */
  public ReserveSlot() {}

  ReserveSlot(long spacingNanos) {
    this.spacingNanos = spacingNanos;
  }

  @Override
  Long process(Map.Entry<String, Long> entry, long nowMillis, long nowEpochNanos) {
    long nextFree = entry.getValue() == null ? nowEpochNanos : entry.getValue();
    long slot = StartSlots.slot(nextFree, nowEpochNanos);
    entry.setValue(StartSlots.nextFree(slot, spacingNanos));
    return slot - nowEpochNanos;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.RESERVE_SLOT;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeLong(spacingNanos);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    spacingNanos = in.readLong();
  }
}
