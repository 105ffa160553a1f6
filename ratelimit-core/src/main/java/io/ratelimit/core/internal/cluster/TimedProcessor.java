package io.ratelimit.core.internal.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;

/**
 * An entry processor that reads the clock once, on the partition owner, and sends that reading with
 * itself to the backup, so primary and backup compute the very same new value.
 */
abstract class TimedProcessor<V, R> implements EntryProcessor<String, V, R>, IdentifiedDataSerializable {
  /** The owner's clock when it ran this processor; 0 until then. */
  private long nowMillis;
  private long nowNanos;

  @Override
  public final R process(Map.Entry<String, V> entry) {
    if (nowMillis == 0) {
      java.time.Instant now = java.time.Instant.now();
      nowMillis = now.toEpochMilli();
      nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
    return process(entry, nowMillis, nowNanos);
  }

  /** Runs on the owner, then on the backup with the same clock readings. */
  abstract R process(Map.Entry<String, V> entry, long nowMillis, long nowEpochNanos);

  @Override
  public final EntryProcessor<String, V, R> getBackupProcessor() {
    return this;
  }

  @Override
  public final int getFactoryId() {
    return ClusterSerialization.FACTORY_ID;
  }

  @Override
  public final void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
    out.writeLong(nowNanos);
    write(out);
  }

  @Override
  public final void readData(ObjectDataInput in) throws IOException {
    nowMillis = in.readLong();
    nowNanos = in.readLong();
    read(in);
  }

  abstract void write(ObjectDataOutput out) throws IOException;

  abstract void read(ObjectDataInput in) throws IOException;
}
