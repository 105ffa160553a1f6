package io.ratelimit.core.internal.rundir;

import io.ratelimit.hazelcast.RunDirectory;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Bells in memory that the run's JVMs on this machine share (a mapped file in the run directory), one per
 * participant: a release of a permit rings the bell of the participant whose waiter is next in line, so that
 * waiter looks at the state again within 2 ms (a quarter of a millisecond if it began to wait just before),
 * and only it: the waiters of the other JVMs, whose turn it is not, sleep on instead of each taking the file
 * lock to find the permit gone (in a suite of 4 forks at an API's published rate those looks took a quarter
 * of the forks' wake-ups and a tenth of their test threads' CPU).
 * Watching costs a memory read, no lock and no file read. Participants share a bell when their names hash
 * alike, which costs a look that finds nothing. Waiters still poll the state itself, slowly, for what rings
 * nothing (a holder that died).
 */
final class ChangeBell {
  private static final VarHandle COUNT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  /** Bells in the file: more than a machine's JVMs in one run, so two rarely share one. */
  static final int BELLS = 64;
  /** How soon a waiter looks at the bell first; then less often, up to {@link #LONGEST_WATCH_NANOS}. */
  private static final long FIRST_WATCH_NANOS = TimeUnit.MICROSECONDS.toNanos(250);
  /**
   * The longest between two looks: a waiter that looked every 250 us for the whole of a long wait (permits
   * held while their starts come, at the published rate) cost its JVM a tenth of a core, and the machine
   * the jitter that refuses starts.
   */
  private static final long LONGEST_WATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final MappedByteBuffer shared;
  private final AtomicLongArray local = new AtomicLongArray(BELLS);

  private ChangeBell(MappedByteBuffer shared) {
    this.shared = shared;
  }

  /** The bells of {@code dir}; ones of this JVM only (waiters then poll) if the file cannot be mapped. */
  static ChangeBell in(RunDirectory dir) {
    try (FileChannel channel = FileChannel.open(dir.path().resolve("bells"), java.util.Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE), io.ratelimit.hazelcast.PrivateDirectories.fileAttributes())) {
      return new ChangeBell(channel.map(FileChannel.MapMode.READ_WRITE, 0, (long) BELLS * Long.BYTES)); // the mapping outlives the channel
    } catch (IOException | UnsupportedOperationException e) {
      return new ChangeBell(null);
    }
  }

  /** How many times {@code participant}'s bell has rung. */
  long rung(String participant) {
    int bell = bellOf(participant);
    return shared == null ? local.get(bell) : (long) COUNT.getVolatile(shared, bell * Long.BYTES);
  }

  /** Rings {@code participant}'s bell (atomically across the JVMs mapping it). */
  void ring(String participant) {
    int bell = bellOf(participant);
    if (shared == null) {
      local.incrementAndGet(bell);
    } else {
      COUNT.getAndAdd(shared, bell * Long.BYTES, 1L);
    }
  }

  /** Waits until {@code participant}'s bell rang after {@code seen} was read, or {@code nanos} passed. */
  void await(String participant, long seen, long nanos) {
    long deadline = System.nanoTime() + nanos;
    long watch = FIRST_WATCH_NANOS;
    for (long left = nanos; left > 0 && rung(participant) == seen; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(Math.min(left, watch));
      watch = Math.min(2 * watch, LONGEST_WATCH_NANOS);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  /** The bell {@code participant} listens to. */
  static int bellOf(String participant) {
    return Math.floorMod(participant.hashCode(), BELLS);
  }
}
