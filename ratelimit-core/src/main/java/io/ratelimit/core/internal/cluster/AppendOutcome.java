package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.ratelimit.core.internal.state.AttemptWindow;
import java.io.IOException;
import java.util.Map;

/**
 * Adds one attempt's outcome to the run's window of recent attempts, one Long packed as
 * {@link AttemptWindow#append} says.
 */
public final class AppendOutcome extends TimedProcessor<Long, Long> {
  private boolean rateLimited;

  /** For deserialization. */
  public AppendOutcome() {}

  AppendOutcome(boolean rateLimited) {
    this.rateLimited = rateLimited;
  }

  @Override
  Long process(Map.Entry<String, Long> entry, long nowMillis, long nowEpochNanos) {
    long updated = AttemptWindow.append(entry.getValue() == null ? 0 : entry.getValue(), rateLimited);
    entry.setValue(updated);
    return updated;
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
