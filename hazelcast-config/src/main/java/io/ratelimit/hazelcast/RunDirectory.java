package io.ratelimit.hazelcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The run's directory on this machine's file system ({@code PYTEST_RUN_DIR}, by default under the
 * temporary directory, named after the run identity): where the JVMs of one run on one machine meet
 * before any cluster exists. Its locks are exact across processes (the operating system's file locks,
 * released when their process dies) and across threads of one JVM.
 */
public final class RunDirectory {
  /** One in-JVM lock per lock file: a JVM may hold a file lock only once, so its threads take turns first. */
  private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path path;

  private RunDirectory(Path path) {
    this.path = path;
  }

  /** The run directory {@code settings} name, created if missing. */
  public static RunDirectory of(ClusterSettings settings) {
    return at(settings.runDirectory());
  }

  /** The run directory at {@code path}, created if missing. */
  public static RunDirectory at(Path path) {
    try {
      if (!Files.isDirectory(path)) {
        // in the background: listing a temporary directory full of old runs would delay the first request
        Thread cleanup = new Thread(() -> removeStaleSiblings(path), "ratelimit-run-directory-cleanup");
        cleanup.setDaemon(true);
        cleanup.start();
      }
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new UncheckedIOException("ratelimit-testkit: cannot create the run directory " + path
          + " (set PYTEST_RUN_DIR to a writable directory)", e);
    }
    return new RunDirectory(path.toAbsolutePath().normalize());
  }

  /**
   * Run directories of earlier runs under the default parent ({@code ratelimit-testkit}) untouched for a
   * day are removed when a new run starts, so the temporary directory does not fill up; best effort.
   */
  private static void removeStaleSiblings(Path path) {
    Path parent = path.toAbsolutePath().getParent();
    if (parent == null || !parent.getFileName().toString().equals("ratelimit-testkit") || !Files.isDirectory(parent)) {
      return;
    }
    long dayAgo = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    try (java.util.stream.Stream<Path> runs = Files.list(parent)) {
      runs.filter(run -> {
        try {
          return Files.isDirectory(run) && Files.getLastModifiedTime(run).toMillis() < dayAgo;
        } catch (IOException noState) {
          return false;
        }
      }).forEach(RunDirectory::deleteQuietly);
    } catch (IOException | RuntimeException ignored) {
      // another run's cleanup, or no permission: nothing depends on it
    }
  }

  private static void deleteQuietly(Path tree) {
    try (java.util.stream.Stream<Path> paths = Files.walk(tree)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // best effort
    }
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /** A body run under a lock. */
  @FunctionalInterface
  public interface Locked<T> {
    /** Runs while the lock is held. */
    T run() throws IOException;
  }

  /**
   * Runs {@code body} holding the lock {@code name}, exclusive among every thread of every process of
   * the run on this machine; waits at most {@code bound} for it.
   *
   * @throws LockTimeoutException when the lock did not come free within {@code bound}
   * @throws UncheckedIOException when the lock file or the body fails
   */
  public <T> T locked(String name, Duration bound, Locked<T> body) {
    long deadline = System.nanoTime() + bound.toNanos();
    Path file = path.resolve(name + ".lock");
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    try {
      if (!jvmLock.tryLock(bound.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new LockTimeoutException(file, bound);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockTimeoutException(file, bound);
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = awaitFileLock(channel, deadline, file, bound);
      try {
        return body.run();
      } finally {
        lock.release();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("ratelimit-testkit: run directory " + path + ": " + e.getMessage(), e);
    } finally {
      jvmLock.unlock();
    }
  }

  private static FileLock awaitFileLock(FileChannel channel, long deadline, Path file, Duration bound) throws IOException {
    long pause = 50_000; // holders keep it for microseconds; back off up to 2 ms when one holds it longer
    while (true) {
      try {
        FileLock lock = channel.tryLock();
        if (lock != null) {
          return lock;
        }
      } catch (OverlappingFileLockException impossible) {
        // another channel of this JVM on the same file: the JVM lock rules it out
      }
      if (System.nanoTime() > deadline || Thread.currentThread().isInterrupted()) {
        throw new LockTimeoutException(file, bound);
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 2_000_000);
    }
  }

  /** The text of file {@code name} in the directory, if it exists. */
  public Optional<String> read(String name) {
    try {
      return Optional.of(Files.readString(path.resolve(name), StandardCharsets.UTF_8));
    } catch (java.nio.file.NoSuchFileException missing) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The bytes of file {@code name} in the directory; empty if it does not exist. */
  public byte[] readBytes(String name) {
    try {
      return Files.readAllBytes(path.resolve(name));
    } catch (java.nio.file.NoSuchFileException missing) {
      return new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces file {@code name} with {@code text} atomically: a reader sees the old text or the new, never half. */
  public void write(String name, String text) {
    writeBytes(name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Replaces file {@code name} with {@code bytes} atomically: a reader sees the old content or the new, never half. */
  public void writeBytes(String name, byte[] bytes) {
    Path target = path.resolve(name);
    Path temporary = path.resolve(name + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().getId() + ".tmp");
    try {
      Files.write(temporary, bytes);
      try {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * This process as the run directory names it: pid and start instant, so a reused pid is never taken
   * for a live worker.
   */
  public static String thisProcess() {
    return THIS_PROCESS;
  }

  private static final String THIS_PROCESS = describe(ProcessHandle.current());

  private static String describe(ProcessHandle process) {
    return process.pid() + "@" + process.info().startInstant().map(i -> Long.toString(i.toEpochMilli())).orElse("0");
  }

  /** True while the process named by {@link #thisProcess()}'s form {@code process} lives. */
  public static boolean isAlive(String process) {
    int at = process.indexOf('@');
    if (at < 0) {
      return false;
    }
    long pid;
    try {
      pid = Long.parseLong(process.substring(0, at));
    } catch (NumberFormatException e) {
      return false;
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> describe(p).equals(process)).orElse(false);
  }

  @Override
  public String toString() {
    return path.toString();
  }

  /** A lock of the run directory did not come free in time. */
  public static final class LockTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LockTimeoutException(Path file, Duration bound) {
      super("ratelimit-testkit: the run directory's lock " + file + " did not come free within " + bound.toMillis() + " ms");
    }
  }
}
