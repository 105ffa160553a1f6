package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.hazelcast.PrivateDirectories;
import io.ratelimit.hazelcast.RunDirectory;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The run's {@link StartTimes} on this machine: per API a mapped file in the run directory holding its latest
 * start, which every JVM of the run on this machine reads and raises in memory, with no lock and no file
 * read (as {@link ChangeBell} does). A start noted in one JVM is seen by the next sender in another at once.
 * An API whose file cannot be mapped keeps its starts in this JVM only.
 */
public final class StartTimesFile implements StartTimes {
  private static final VarHandle LATEST = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final RunDirectory dir;
  private final Map<String, Optional<MappedByteBuffer>> files = new ConcurrentHashMap<>();
  private final StartTimes unmapped = StartTimes.inThisJvm();

  private StartTimesFile(RunDirectory dir) {
    this.dir = dir;
  }

  /** The start times of the run whose directory is {@code dir}. */
  public static StartTimes in(RunDirectory dir) {
    return new StartTimesFile(dir);
  }

  @Override
  public void started(String api, long epochNanos) {
    MappedByteBuffer file = file(api);
    if (file == null) {
      unmapped.started(api, epochNanos);
      return;
    }
    for (long known = (long) LATEST.getVolatile(file, 0); known < epochNanos; known = (long) LATEST.getVolatile(file, 0)) {
      if (LATEST.compareAndSet(file, 0, known, epochNanos)) {
        return;
      }
    }
  }

  @Override
  public long latest(String api) {
    MappedByteBuffer file = file(api);
    return file == null ? unmapped.latest(api) : (long) LATEST.getVolatile(file, 0);
  }

  private MappedByteBuffer file(String api) {
    Optional<MappedByteBuffer> known = files.get(api);
    return (known != null ? known : files.computeIfAbsent(api, this::map)).orElse(null);
  }

  private Optional<MappedByteBuffer> map(String api) {
    // an API's name may hold any character: the file is named by its digest
    try (FileChannel channel = FileChannel.open(dir.path().resolve("starts-" + digest(api)), Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE), PrivateDirectories.fileAttributes())) {
      return Optional.of(channel.map(FileChannel.MapMode.READ_WRITE, 0, Long.BYTES)); // the mapping outlives the channel
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  private static String digest(String api) {
    try {
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(api.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
