package io.ratelimit.core.internal.lifecycle;

import io.ratelimit.core.internal.state.RunKeeper;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.hazelcast.ClusterConnection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Every cluster connection a worker makes (the first, and those after it lost its cluster), each watched
 * by the exit watch so that its threads never keep the JVM alive and all left when the worker closes; the
 * refusal, once no cluster could be had; and an embedded run's keeper, left last.
 */
final class Connections {
  private static final Logger LOG = Logs.get(Connections.class);

  private final List<ClusterConnection> made = new CopyOnWriteArrayList<>();
  private final RunKeeper keeper;
  private volatile Consumer<ClusterConnection> watch = connection -> { };
  private volatile RefusingLimiterState refusal;
  private boolean closed; // guarded by this

  /** @param keeper an embedded run's keeper; null otherwise */
  Connections(RunKeeper keeper) {
    this.keeper = keeper;
  }

  synchronized void add(ClusterConnection connection) {
    if (closed) {
      connection.close(); // the worker stopped while it connected again
      return;
    }
    made.add(connection);
    watch.accept(connection);
  }

  /** Watches every connection made so far and from now on. */
  synchronized void watchEach(Consumer<ClusterConnection> watcher) {
    this.watch = watcher;
    made.forEach(watcher);
  }

  Optional<ClusterConnection> latest() {
    return made.isEmpty() ? Optional.empty() : Optional.of(made.get(made.size() - 1));
  }

  /** Logs the refusal once and returns the state that refuses with it. */
  RefusingLimiterState refuse(String reason, String coordination, String workerId, StatsRecorder recorder) {
    LOG.warn(reason);
    RefusingLimiterState refusing = new RefusingLimiterState(reason, coordination, workerId, recorder);
    refusal = refusing;
    return refusing;
  }

  Optional<RefusingLimiterState> refusal() {
    return Optional.ofNullable(refusal);
  }

  synchronized void closeAll() {
    closed = true;
    made.forEach(ClusterConnection::close);
    if (keeper != null) {
      keeper.close();
    }
  }
}
