package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.ApiStats;
import io.ratelimit.core.internal.state.RunKeeper;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.hazelcast.RunDirectory;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * The run directory as an embedded run's keeper ({@link RunKeeper}): counters and documents are written
 * to the same files the run directory's own state uses, so a run read later (the report, the lease
 * command) finds them in one place. This JVM is a participant of the run directory while it runs: the
 * run lives as long as one JVM of it does (and its grace after), and worker ids stay unique across forks.
 */
public final class RunDirectoryKeeper implements RunKeeper {
  private static final Logger LOG = Logs.get(RunDirectoryKeeper.class);

  private final RunDirectory dir;
  private final String participant;
  private final String workerId;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Enters the run of {@code dir}.
   *
   * @param requestedWorkerId the worker id asked for; made unique in the run (see {@link RunEntry#uniqueWorkerId})
   */
  public RunDirectoryKeeper(RunDirectory dir, String requestedWorkerId) {
    this.dir = dir;
    this.participant = RunEntry.newParticipant();
    if (dir.enter(participant) == RunDirectory.Entry.RESUMED) {
      RunEntry.reopen(dir);
    }
    this.workerId = RunEntry.uniqueWorkerId(dir, requestedWorkerId);
  }

  @Override
  public String workerId() {
    return workerId;
  }

  @Override
  public void keepDocument(String kind, String document) {
    write("documents/" + RunDirectoryState.encode(kind) + "/" + RunDirectoryState.encode(workerId), document);
  }

  @Override
  public void keepCounters(Map<String, ApiStats> counters) {
    if (!counters.isEmpty()) {
      write("stats/" + RunDirectoryState.encode(workerId), StatsFile.write(counters));
    }
  }

  private void write(String name, String text) {
    dir.locked(RunDirectoryState.STATE, RunDirectoryState.LOCK_BOUND, () -> {
      dir.write(name, text);
      return null;
    });
  }

  @Override
  public Map<String, Map<String, ApiStats>> keptCounters() {
    Map<String, Map<String, ApiStats>> byWorker = new TreeMap<>();
    RunDirectoryState.readAll(dir.path().resolve("stats")).forEach((worker, text) -> byWorker.put(worker, StatsFile.read(text)));
    return byWorker;
  }

  @Override
  public Map<String, String> keptDocuments(String kind) {
    return RunDirectoryState.readAll(dir.path().resolve("documents").resolve(RunDirectoryState.encode(kind)));
  }

  @Override
  public boolean claim(String key) {
    return dir.locked(RunDirectoryState.STATE, RunDirectoryState.LOCK_BOUND,
        () -> dir.createOnce("claims/" + RunDirectoryState.encode(key), workerId));
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        dir.leave(participant);
      } catch (RuntimeException e) {
        LOG.debug("could not leave the run directory: {}", e.toString());
      }
    }
  }
}
