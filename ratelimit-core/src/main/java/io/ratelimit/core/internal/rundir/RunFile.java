package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.leases.LeaseTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The run directory's shared state, read and written whole under the state lock: plain data in a small
 * binary form written field by field (no Java serialization), small enough to read on every admission.
 */
public final class RunFile {
  /** The format's version, first in the file: a reader of another version refuses the file rather than misread it. */
  private static final int FORMAT = 0x524c0002;

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
    /** The permit name's pacing (its start slots), when it is an API's. */
    public Pacing pacing = new Pacing();

    boolean isEmpty() {
      return held.isEmpty() && waiting.isEmpty() && pacing.isEmpty();
    }
  }

  /** The state from its bytes; an empty or missing file is the state of a new run. */
  static RunFile parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return new RunFile();
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != FORMAT) {
        throw new IOException("not a run directory state of this version");
      }
      RunFile file = new RunFile();
      file.epoch = Epoch.values()[in.readByte()];
      file.noCluster = readNullable(in);
      file.mode = readNullable(in);
      file.window = in.readLong();
      for (int i = count(in); i > 0; i--) {
        file.participants.put(in.readUTF(), in.readUTF());
      }
      for (int i = count(in); i > 0; i--) {
        Permits permits = new Permits();
        String name = in.readUTF();
        permits.pacing = Pacing.readFrom(in);
        for (int j = count(in); j > 0; j--) {
          permits.held.put(in.readUTF(), in.readUTF());
        }
        for (int j = count(in); j > 0; j--) {
          permits.waiting.put(in.readUTF(), in.readLong());
        }
        file.permits.put(name, permits);
      }
      for (int i = count(in); i > 0; i--) {
        String key = in.readUTF();
        Map<String, LeaseTable.Lease> table = new TreeMap<>();
        for (int j = count(in); j > 0; j--) {
          table.put(in.readUTF(), new LeaseTable.Lease(in.readUTF(), in.readUTF(), in.readUTF(), in.readLong(), in.readLong(), in.readLong()));
        }
        file.leases.put(key, table);
      }
      return file;
    } catch (IOException | RuntimeException e) {
      throw new UncheckedIOException("ratelimit-testkit: the run directory's state is unreadable (" + e + ")",
          e instanceof IOException io ? io : new IOException(e));
    }
  }

  /** The state as bytes: a small binary form, read and written on every admission (no JSON library on that path). */
  byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(FORMAT);
      out.writeByte(epoch.ordinal());
      writeNullable(out, noCluster);
      writeNullable(out, mode);
      out.writeLong(window);
      out.writeInt(participants.size());
      for (Map.Entry<String, String> e : participants.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeUTF(e.getValue());
      }
      out.writeInt(permits.size());
      for (Map.Entry<String, Permits> e : permits.entrySet()) {
        out.writeUTF(e.getKey());
        e.getValue().pacing.writeTo(out);
        out.writeInt(e.getValue().held.size());
        for (Map.Entry<String, String> h : e.getValue().held.entrySet()) {
          out.writeUTF(h.getKey());
          out.writeUTF(h.getValue());
        }
        out.writeInt(e.getValue().waiting.size());
        for (Map.Entry<String, Long> w : e.getValue().waiting.entrySet()) {
          out.writeUTF(w.getKey());
          out.writeLong(w.getValue());
        }
      }
      out.writeInt(leases.size());
      for (Map.Entry<String, Map<String, LeaseTable.Lease>> e : leases.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().size());
        for (Map.Entry<String, LeaseTable.Lease> l : e.getValue().entrySet()) {
          LeaseTable.Lease lease = l.getValue();
          out.writeUTF(l.getKey());
          out.writeUTF(lease.leaseId());
          out.writeUTF(lease.owner());
          out.writeUTF(lease.holder());
          out.writeLong(lease.sinceMillis());
          out.writeLong(lease.renewedUntilMillis());
          out.writeLong(lease.maxUntilMillis());
        }
      }
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible);
    }
    return bytes.toByteArray();
  }

  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1_000_000) {
      throw new IOException("implausible count " + n);
    }
    return n;
  }

  private static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }

  private static void writeNullable(DataOutputStream out, String value) throws IOException {
    out.writeBoolean(value != null);
    if (value != null) {
      out.writeUTF(value);
    }
  }
}
