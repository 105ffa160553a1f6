package io.ratelimit.core.internal.cluster;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Registers this package's entry processors and values with Hazelcast (members and clients alike). */
public final class ClusterSerialization {
  /** Factory id of ratelimit-testkit's serializable types. */
  public static final int FACTORY_ID = 7_341;

  static final int PERMIT_TABLE = 1;
  static final int ACQUIRE_PERMIT = 2;
  static final int RELEASE_PERMIT = 3;
  static final int RELEASE_HOLDER = 4;
  static final int RENEW_LEASES = 5;
  static final int RESERVE_SLOT = 6;
  static final int SWITCH_MODE = 7;
  static final int APPEND_OUTCOME = 8;
  static final int LEASE_PROCESSOR = 9;
  // 10 was CARRY_PERMITS, the run's move from the run directory (gone): never reused
  static final int PACE_FEEDBACK = 11;
  static final int SOMEONE_WAITS = 12;

  private ClusterSerialization() {}

  /** Adds the factory to {@code config}. */
  public static void register(SerializationConfig config) {
    config.addDataSerializableFactory(FACTORY_ID, factory());
  }

  static DataSerializableFactory factory() {
    return id -> {
      IdentifiedDataSerializable created;
      switch (id) {
        case PERMIT_TABLE: created = new PermitTable(); break;
        case ACQUIRE_PERMIT: created = new AcquirePermit(); break;
        case RELEASE_PERMIT: created = new ReleasePermit(); break;
        case RELEASE_HOLDER: created = new ReleaseHolder(); break;
        case RENEW_LEASES: created = new RenewLeases(); break;
        case RESERVE_SLOT: created = new ReserveSlot(); break;
        case SWITCH_MODE: created = new SwitchMode(); break;
        case APPEND_OUTCOME: created = new AppendOutcome(); break;
        case LEASE_PROCESSOR: created = new LeaseProcessor(); break;
        case PACE_FEEDBACK: created = new PaceFeedback(); break;
        case SOMEONE_WAITS: created = new SomeoneWaits(); break;
        case io.ratelimit.core.internal.leases.LeaseTable.CLASS_ID: created = new io.ratelimit.core.internal.leases.LeaseTable(); break;
        default: created = null; // unknown ids are refused by Hazelcast
      }
      return created;
    };
  }
}
