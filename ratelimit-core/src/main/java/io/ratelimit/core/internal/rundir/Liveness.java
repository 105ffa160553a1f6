package io.ratelimit.core.internal.rundir;

import io.ratelimit.hazelcast.RunDirectory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Whether a participant's process lives, looked up at most every 250 ms per process. */
final class Liveness {
  private static final long TTL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private final Map<String, long[]> seen = new ConcurrentHashMap<>(); // process to {checked at, alive 0/1}

  boolean isAlive(String participant) {
    int hash = participant.indexOf('#');
    String process = hash < 0 ? participant : participant.substring(0, hash);
    if (process.equals(RunDirectory.thisProcess())) {
      return true;
    }
    long now = System.nanoTime();
    long[] entry = seen.get(process);
    if (entry == null || now - entry[0] > TTL_NANOS) {
      entry = new long[] {now, RunDirectory.isAlive(process) ? 1 : 0};
      seen.put(process, entry);
    }
    return entry[1] == 1;
  }
}
