package io.ratelimit.core.internal.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import java.util.Map;

/**
 * The filter of the permit entries' update events, run on the entry's owner: only a change to an entry
 * that someone waits on is sent. A waiter is always queued in the entry before it waits for an event, so
 * the events it needs (a release, an expiry) pass; an admission of an entry no one waits on (nearly every
 * admission) sends none, which saves each request a message to every member.
 */
public final class SomeoneWaits implements Predicate<String, PermitTable>, IdentifiedDataSerializable {
  private static final long serialVersionUID = 1L;

  @Override
  public boolean apply(Map.Entry<String, PermitTable> entry) {
    PermitTable table = entry.getValue();
    return table != null && table.hasWaiters();
  }

  @Override
  public int getFactoryId() {
    return ClusterSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.SOMEONE_WAITS;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
