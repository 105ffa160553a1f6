package io.ratelimit.core.internal.state;

import io.ratelimit.core.internal.leases.LeaseStore;
import java.util.Optional;

/**
 * The run's state as one backend keeps it (this JVM, the run directory, the cluster), as one port per
 * concern: {@link Permits} (admission: in-flight permits and start slots with their feedback), {@link RunModes}
 * (the run mode and the attempts that decide it), {@link RunRecords} (statistics, documents, claims) and
 * {@link LeaseStore} (leases on shared resources). A backend implements the ports; what a worker does when
 * its backend is lost or missing (fail over, refuse) is done once, by {@code internal.lifecycle}, for every port.
 */
public interface LimiterState extends AutoCloseable {
  /** In-flight permits and start slots. */
  Permits permits();

  /** The run mode. */
  RunModes modes();

  /** Statistics, documents and claims. */
  RunRecords records();

  /** The lease tables of shared resources, kept where this state keeps everything else. */
  LeaseStore leases();

  /**
   * Why this state sends nothing (no cluster could be had), checked before a request opens a connection;
   * empty while requests may go out.
   */
  default Optional<String> refusal() {
    return Optional.empty();
  }

  /** Releases what this JVM holds and leaves any cluster; bounded, idempotent. */
  @Override
  void close();
}
