package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.internal.jvm.Jvm;
import io.ratelimit.hazelcast.RunDirectory;

/**
 * What a JVM does on entering a run directory after {@link RunDirectory#enter}: it takes a worker id of
 * its own in the run, and, as the next fork of a build whose forks have all ended, takes the run back from
 * a cluster that ended with them.
 */
final class RunEntry {
  private RunEntry() {}

  /** A new participant name of this JVM in a run directory: the process and a counter. */
  static String newParticipant() {
    return RunDirectory.thisProcess() + "#" + Jvm.one(Numbering.class, Numbering::new).last.incrementAndGet();
  }

  /** Numbers this JVM's participants (a JVM may enter a run more than once, e.g. several limiters in a test JVM). */
  private static final class Numbering {
    final java.util.concurrent.atomic.AtomicInteger last = new java.util.concurrent.atomic.AtomicInteger();
  }

  /**
   * {@code requested}, or {@code requested.2}, {@code .3} ... when another JVM of the run used it before: forks
   * that do not overlap (Surefire's {@code reuseForks=false}) are given the same fork number, and each keeps
   * its own counters and documents in the run.
   */
  static String uniqueWorkerId(RunDirectory dir, String requested) {
    for (int n = 1; n <= 10_000; n++) {
      String id = n == 1 ? requested : requested + "." + n;
      String name = "workers/" + RunDirectoryState.encode(id);
      if (dir.createOnce(name, RunDirectory.thisProcess()) || dir.read(name).orElse("").equals(RunDirectory.thisProcess())) {
        return id;
      }
    }
    throw new IllegalStateException("ratelimit-testkit: 10000 JVMs of this run have used worker id " + requested);
  }

  /**
   * The next fork of a build whose forks have all ended (within the grace): if they had moved the run into
   * their cluster, that cluster ended with them, and what they kept here on leaving (counters, documents) is
   * the run. The state comes back here, without the dead JVMs' permits, waiters and leases; pacing stays.
   */
  static void reopen(RunDirectory dir) {
    dir.locked(RunDirectoryState.STATE, RunDirectoryState.LOCK_BOUND, () -> {
      RunFile file = RunFile.parse(dir.readBytes(RunDirectoryState.STATE_FILE));
      if (file.epoch == RunFile.Epoch.CLUSTER) {
        file.epoch = RunFile.Epoch.RUN_DIRECTORY;
        file.noCluster = null;
        file.participants.clear();
        file.leases.clear();
        file.permits.values().forEach(p -> {
          p.held.clear();
          p.waiting.clear();
        });
        dir.writeBytes(RunDirectoryState.STATE_FILE, file.toBytes());
      }
      return null;
    });
  }
}
