package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.ratelimit.core.internal.pacing.Pacing;
import java.io.IOException;
import java.util.Map;

/** Hands an attempt's response (a refusal, a pause, a quota) to the API's pacing, kept in its permit entry. */
public final class PaceFeedback extends TimedProcessor<PermitTable, Void> {
  private Pacing.Params pacing = Pacing.Params.fixed(0);
  private Pacing.Feedback feedback = new Pacing.Feedback(0, 0, 0, false, 0, -1, 0);

  /** For deserialization. */
  public PaceFeedback() {}

  PaceFeedback(Pacing.Params pacing, Pacing.Feedback feedback) {
    this.pacing = pacing;
    this.feedback = feedback;
  }

  @Override
  Void process(Map.Entry<String, PermitTable> entry, long nowMillis, long nowEpochNanos) {
    PermitTable table = entry.getValue() == null ? new PermitTable() : entry.getValue();
    table.feedback(pacing, feedback, nowEpochNanos);
    entry.setValue(table);
    return null;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.PACE_FEEDBACK;
  }

  @Override
  void write(ObjectDataOutput out) throws IOException {
    AcquirePermit.writePacing(out, pacing);
    out.writeLong(feedback.attemptSpacing());
    out.writeLong(feedback.attemptSeq());
    out.writeLong(feedback.attemptLearned());
    out.writeBoolean(feedback.refused());
    out.writeLong(feedback.pauseUntil());
    out.writeLong(feedback.quotaRemaining());
    out.writeLong(feedback.quotaResetAt());
  }

  @Override
  void read(ObjectDataInput in) throws IOException {
    pacing = AcquirePermit.readPacing(in);
    feedback = new Pacing.Feedback(in.readLong(), in.readLong(), in.readLong(), in.readBoolean(), in.readLong(), in.readLong(), in.readLong());
  }
}
