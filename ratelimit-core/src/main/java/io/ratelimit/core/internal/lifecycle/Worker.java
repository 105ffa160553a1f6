package io.ratelimit.core.internal.lifecycle;

import io.ratelimit.core.internal.jvm.AttemptGate;
import io.ratelimit.core.internal.jvm.FreezeDetector;
import io.ratelimit.core.internal.leases.LeaseBroker;
import io.ratelimit.core.internal.leases.LeaseSettings;
import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.hazelcast.ClusterConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * One worker of the run, ready ({@link Startup} made it): its id, its counters, the run's state as this
 * JVM reaches it (failing over or refusing as its mode says), its leases, and the fences its requests pass
 * (the freeze detector, the gate that stops them when the worker stops). It ends with its program: a
 * shutdown hook and the exit watch close it, flushing its counters first.
 */
public final class Worker implements AutoCloseable {
  private static final Logger LOG = Logs.get(Worker.class);
  /** Longest a stopping worker waits for its requests on the wire, so their outcomes are in its last flush. */
  private static final Duration DRAIN_BOUND = Duration.ofSeconds(2);
  /** Longest a close takes: the drain, the last flush and leaving the cluster (15 s at most). */
  private static final Duration CLOSE_BOUND = Duration.ofSeconds(20);

  private final String workerId;
  private final StatsRecorder recorder;
  private final LimiterState state;
  private final Connections connections;
  private final FreezeDetector freezes;
  private final LeaseBroker leases;
  private final StartTimes starts;
  private final AttemptGate attemptGate = new AttemptGate();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closeDone = new CountDownLatch(1);
  private final List<ExitWatcher.Watch> exitWatches = new CopyOnWriteArrayList<>();
  private volatile Thread shutdownHook;

  Worker(String workerId, StatsRecorder recorder, LimiterState state, Connections connections, LeaseSettings leaseSettings,
      FreezeDetector freezes, StartTimes starts) {
    this.starts = starts;
    this.workerId = workerId;
    this.recorder = recorder;
    this.state = state;
    this.connections = connections;
    this.freezes = freezes;
    this.leases = new LeaseBroker(state.leases(), workerId, leaseSettings, freezes);
  }

  /** This JVM's worker id in the run. */
  public String workerId() {
    return workerId;
  }

  /** When each API's latest request left, as this worker and the run's JVMs on its machine note it. */
  public StartTimes starts() {
    return starts;
  }

  /** This JVM's counters. */
  public StatsRecorder recorder() {
    return recorder;
  }

  /** The run's state as this JVM reaches it. */
  public LimiterState state() {
    return state;
  }

  /** Leases on shared resources, in the run's state. */
  public LeaseBroker leases() {
    return leases;
  }

  /** Tells when this JVM was frozen long enough that the run's cluster may have dropped it. */
  public FreezeDetector freezes() {
    return freezes;
  }

  /** Lets requests onto the wire until the worker stops. */
  public AttemptGate attemptGate() {
    return attemptGate;
  }

  /**
   * How this JVM shares its limits: a cluster member or client, the run directory, local, or none (it
   * refuses every request, with the reason).
   */
  public String coordination() {
    if (connections.refusal().isPresent()) {
      return connections.refusal().get().coordination();
    }
    if (state instanceof RunDirectoryState onThisMachine) {
      return onThisMachine.coordination();
    }
    return connections.latest().map(ClusterConnection::toString).orElse("local");
  }

  /** Workers in the run's cluster now; without a cluster, the run's JVMs on this machine, or 1 (local). */
  public int clusterSize() {
    if (state instanceof RunDirectoryState onThisMachine) {
      return onThisMachine.participants();
    }
    return connections.latest().map(ClusterConnection::clusterSize).orElse(1);
  }

  /** True once {@link #close()} has run. */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Closes this worker when the JVM is stopped (a shutdown hook) and when the program's own threads are
   * done (Hazelcast's threads are not daemon threads and would keep the JVM alive).
   */
  void endWithTheProgram() {
    shutdownHook = new Thread(this::close, "ratelimit-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    connections.watchEach(joined -> joined.instance().ifPresent(hz -> exitWatches.add(ExitWatcher.watch(hz.getName(), this::close))));
  }

  /**
   * Stops its requests (those on the wire get 2 s to be answered and counted), flushes its counters,
   * releases what it holds and leaves any cluster, within bounds; idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      if (Thread.currentThread() == shutdownHook) {
        awaitClosed(); // closing elsewhere (the exit watcher): the JVM must not halt halfway through the flush
      }
      return;
    }
    try {
      exitWatches.forEach(ExitWatcher.Watch::close);
      int unanswered = attemptGate.closeAndDrain(DRAIN_BOUND);
      if (unanswered > 0) {
        LOG.warn("ratelimit-testkit: worker {} stops with {} request(s) still unanswered after {} ms; the report counts them "
            + "as sent, without their outcome", workerId, unanswered, DRAIN_BOUND.toMillis());
      }
      leases.close();
      state.close();
      connections.closeAll();
      forgetShutdownHook();
    } finally {
      closeDone.countDown();
    }
  }

  private void awaitClosed() {
    try {
      closeDone.await(CLOSE_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A closed worker needs no hook; dropping it lets the worker be collected. */
  private void forgetShutdownHook() {
    Thread hook = shutdownHook;
    if (hook != null && hook != Thread.currentThread()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is stopping: the hook runs close() again, which does nothing
      }
    }
  }
}
