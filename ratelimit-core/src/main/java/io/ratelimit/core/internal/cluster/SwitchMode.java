package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;

/** Sets the run mode to the given (sequential) one unless the run is sequential already; returns the mode after. */
public final class SwitchMode extends TimedProcessor<String, String> {
  private String sequentialMode;

  /** For deserialization. */
  public SwitchMode() {}

  SwitchMode(String sequentialMode) {
    this.sequentialMode = sequentialMode;
  }

  @Override
  String process(Map.Entry<String, String> entry, long nowMillis, long nowEpochNanos) {
    if (entry.getValue() == null) {
      entry.setValue(sequentialMode); // the first switch wins; later ones change nothing
    }
    return entry.getValue();
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.SWITCH_MODE;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    out.writeString(sequentialMode);
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    sequentialMode = in.readString();
  }
}
