package io.ratelimit.core.internal.rundir;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.internal.LeaseTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The run directory's shared state, read and written whole under the state lock: plain data as JSON
 * (no Java serialization), small enough to read on every admission.
 */
public final class RunFile {
  private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Where the run's state lives now: here until every worker has joined the cluster, then there for good. */
  public enum Epoch { RUN_DIRECTORY, CLUSTER }

  public Epoch epoch = Epoch.RUN_DIRECTORY;
  /** Why the run's cluster could not form, once a worker found out (said once per run). */
  public String noCluster;
  /** Every open participant (a coordinator of a live JVM) to its cluster member's UUID, empty until it has joined. */
  public Map<String, String> participants = new TreeMap<>();
  /** The run mode, as the cluster keeps it (JSON); null while parallel. */
  public String mode;
  /** Per permit name: holders, waiters and the next free start slot. */
  public Map<String, Permits> permits = new TreeMap<>();
  /** Lease tables by key: item to lease. */
  public Map<String, Map<String, LeaseTable.Lease>> leases = new TreeMap<>();
  /** The run's recent attempts, packed as the cluster packs them (see AppendOutcome). */
  public long window;

  /** One permit name's state. */
  public static final class Permits {
    /** Lease id to the participant holding it. */
    public Map<String, String> held = new LinkedHashMap<>();
    /** Waiters' tickets, oldest first, to when the ticket lapses (epoch millis). */
    public Map<String, Long> waiting = new LinkedHashMap<>();
    /** The next free start slot, epoch nanos; 0 before the first. */
    public long nextFreeSlot;

    boolean isEmpty() {
      return held.isEmpty() && waiting.isEmpty() && nextFreeSlot == 0;
    }
  }

  static RunFile parse(String text) {
    if (text == null || text.isBlank()) {
      return new RunFile();
    }
    try {
      return JSON.readValue(text, RunFile.class);
    } catch (IOException e) {
      throw new UncheckedIOException("ratelimit-testkit: the run directory's state is unreadable", e);
    }
  }

  String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
