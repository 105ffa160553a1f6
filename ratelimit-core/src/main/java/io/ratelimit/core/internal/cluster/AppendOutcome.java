package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.ratelimit.core.internal.AttemptWindow;
import java.io.IOException;
import java.util.Map;

/**
 * Adds one attempt's outcome to the run's window of recent attempts. The window is one Long: the low
 * {@value AttemptWindow#SIZE} bits are a shift register of outcomes (1 = 429), the top byte the count.
 */
public final class AppendOutcome extends TimedProcessor<Long, Long> {
  private static final long BITS = (1L << AttemptWindow.SIZE) - 1;

  private boolean rateLimited;

  /** For deserialization. */
  public AppendOutcome() {}

  AppendOutcome(boolean rateLimited) {
    this.rateLimited = rateLimited;
  }

  @Override
  Long process(Map.Entry<String, Long> entry, long nowMillis, long nowEpochNanos) {
    long updated = append(entry.getValue() == null ? 0 : entry.getValue(), rateLimited);
    entry.setValue(updated);
    return updated;
  }

  /** The packed window {@code packed} with one more outcome. */
  public static long append(long packed, boolean rateLimited) {
    long count = Math.min(AttemptWindow.SIZE, (packed >>> 56) + 1);
    long bits = ((packed << 1) | (rateLimited ? 1 : 0)) & BITS;
    return (count << 56) | bits;
  }

  /** The window a packed value stands for. */
  public static AttemptWindow.Share share(long packed) {
    return new AttemptWindow.Share((int) (packed >>> 56), Long.bitCount(packed & BITS));
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.APPEND_OUTCOME;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeBoolean(rateLimited);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    rateLimited = in.readBoolean();
  }
}
