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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A counter in memory that the run's JVMs on this machine share (a mapped file in the run directory). A
 * release of a permit rings it, so the waiter in another JVM looks at the state again within 2 ms (a quarter
 * of a millisecond if it began to wait just before) instead of at its next poll (up to 10 ms): no event crosses processes otherwise. Watching costs a
 * memory read, no lock and no file read. Waiters still poll the state itself, more slowly, for what rings
 * nothing (a holder that died).
 */
final class ChangeBell {
  private static final VarHandle COUNT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  /** How soon a waiter looks at the bell first; then less often, up to {@link #LONGEST_WATCH_NANOS}. */
  private static final long FIRST_WATCH_NANOS = TimeUnit.MICROSECONDS.toNanos(250);
  /**
   * The longest between two looks: a waiter that looked every 250 us for the whole of a long wait (permits
   * held while their starts come, at the published rate) cost its JVM a tenth of a core, and the machine
   * the jitter that refuses starts.
   */
  private static final long LONGEST_WATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final MappedByteBuffer shared;
  private final AtomicLong local = new AtomicLong();

  private ChangeBell(MappedByteBuffer shared) {
    this.shared = shared;
  }

  /** The bell of {@code dir}; one of this JVM only (waiters then poll) if the file cannot be mapped. */
  static ChangeBell in(RunDirectory dir) {
    try (FileChannel channel = FileChannel.open(dir.path().resolve("bell"), java.util.Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE), io.ratelimit.hazelcast.PrivateDirectories.fileAttributes())) {
      return new ChangeBell(channel.map(FileChannel.MapMode.READ_WRITE, 0, Long.BYTES)); // the mapping outlives the channel
    } catch (IOException | UnsupportedOperationException e) {
      return new ChangeBell(null);
    }
  }

  /** How many times it has rung. */
  long rung() {
    return shared == null ? local.get() : (long) COUNT.getVolatile(shared, 0);
  }

  /** Rings it (atomically across the JVMs mapping it). */
  void ring() {
    if (shared == null) {
      local.incrementAndGet();
    } else {
      COUNT.getAndAdd(shared, 0, 1L);
    }
  }

  /** Waits until it rang after {@code seen} was read, or {@code nanos} passed. */
  void await(long seen, long nanos) {
    long deadline = System.nanoTime() + nanos;
    long watch = FIRST_WATCH_NANOS;
    for (long left = nanos; left > 0 && rung() == seen; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(Math.min(left, watch));
      watch = Math.min(2 * watch, LONGEST_WATCH_NANOS);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }
}
