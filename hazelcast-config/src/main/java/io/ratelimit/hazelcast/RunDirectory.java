package io.ratelimit.hazelcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The run's directory on this machine's file system ({@code PYTEST_RUN_DIR}, by default in this user's
 * private folder, named after the run identity; {@code 700}, its files {@code 600}): where the JVMs of one run on one machine meet
 * before any cluster exists. Its locks are exact across processes (the operating system's file locks,
 * released when their process dies) and across threads of one JVM.
 */
public final class RunDirectory {
  /**
   * One in-JVM lock per lock file: a JVM may hold a file lock only once, so its threads take turns first.
   * One of the library's few JVM-wide statics (see docs/architecture.md): the JVM has one set of file locks.
   */
  private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  /** How long an ended run waits for another JVM of its build before a newcomer retires it, unless set. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

  private final Path path;
  private final Duration grace;

  private RunDirectory(Path path, Duration grace) {
    this.path = path;
    this.grace = grace;
  }

  /** The run directory {@code settings} name, created if missing. */
  public static RunDirectory of(ClusterSettings settings) {
    return at(settings.runDirectory()).withGrace(settings.runGrace());
  }

  private RunDirectory withGrace(Duration grace) {
    return new RunDirectory(path, grace);
  }

  /**
   * The run directory at {@code path}, created if missing ({@code 700}, parents too when this creates them).
   *
   * @throws UncheckedIOException when it cannot be created, or is not private to this user (see {@link PrivateDirectories#problem})
   */
  public static RunDirectory at(Path path) {
    boolean fresh = !Files.isDirectory(path);
    Optional<String> problem = PrivateDirectories.claim(path);
    if (problem.isPresent()) {
      throw new UncheckedIOException(new IOException("ratelimit-testkit: the run directory " + path + " " + problem.get()
          + " (set PYTEST_RUN_DIR to a directory of this user's that no one else can write)"));
    }
    if (fresh) {
      // in the background: listing a folder full of old runs would delay the first request
      Thread cleanup = new Thread(() -> removeStaleSiblings(path), "ratelimit-run-directory-cleanup");
      cleanup.setDaemon(true);
      cleanup.start();
    }
    return new RunDirectory(path.toAbsolutePath().normalize(), DEFAULT_GRACE);
  }

  /**
   * Run directories of earlier runs in this user's default folder ({@link PrivateDirectories#defaultRoot()})
   * untouched for a day are removed when a new run starts, so the folder does not fill up; only this
   * user's own, never through a link; best effort.
   */
  private static void removeStaleSiblings(Path path) {
    Path parent = path.toAbsolutePath().normalize().getParent();
    // the name first: a run in a PYTEST_RUN_DIR of the user's choice must not make the default folder exist
    if (parent == null || !parent.getFileName().toString().startsWith("ratelimit-testkit")
        || !parent.equals(PrivateDirectories.defaultRoot().toAbsolutePath().normalize())) {
      return;
    }
    long dayAgo = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    try (java.util.stream.Stream<Path> runs = Files.list(parent)) {
      runs.filter(run -> {
        try {
          return PrivateDirectories.problem(run).isEmpty() && Files.getLastModifiedTime(run, LinkOption.NOFOLLOW_LINKS).toMillis() < dayAgo;
        } catch (IOException noState) {
          return false;
        }
      }).forEach(RunDirectory::deleteQuietly);
    } catch (IOException | RuntimeException ignored) {
      // another run's cleanup: nothing depends on it
    }
  }

  private static void deleteQuietly(Path tree) {
    try (java.util.stream.Stream<Path> paths = Files.walk(tree)) { // walk follows no links
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // best effort
    }
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /**
   * Lists this JVM as one of the run's; if every JVM listed before has ended and none came for the grace
   * period ({@code PYTEST_RUN_GRACE}), the ended run is retired first and this JVM starts a new one
   * (see {@link RunLifetime}). Call before using anything else in the directory.
   *
   * @param participant who in this JVM uses the run: {@link #thisProcess()}, {@code #} and a name unique in the JVM
   * @return what this JVM found: a new run, an ended run resumed within its grace, or a run with others in it
   */
  public Entry enter(String participant) {
    return RunLifetime.enter(this, grace, participant);
  }

  /** What a JVM entering the run directory found. */
  public enum Entry {
    /** No run, or one that had ended longer than the grace ago (retired): this JVM starts a new one. */
    NEW_RUN,
    /** A run whose JVMs have all ended, within its grace: the next fork of the same build; nothing of the old JVMs runs. */
    RESUMED,
    /** A run with other live users. */
    JOINED
  }

  /** Takes {@code participant} off the run's list, when it is done with the run: the last to leave starts the grace period. */
  public void leave(String participant) {
    RunLifetime.leave(this, participant);
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
    try (FileChannel channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
        PrivateDirectories.fileAttributes())) {
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

  /**
   * Replaces file {@code name} (a path relative to the directory; missing folders are created {@code 700})
   * with {@code bytes} atomically: a reader sees the old content or the new, never half. New files are {@code 600}.
   */
  public void writeBytes(String name, byte[] bytes) {
    Path target = path.resolve(name);
    Path temporary = target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().getId() + ".tmp");
    try {
      PrivateDirectories.createDirectories(target.getParent());
      try (java.nio.channels.SeekableByteChannel out = Files.newByteChannel(temporary, java.util.Set.of(StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), PrivateDirectories.fileAttributes())) {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
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
   * Creates file {@code name} (relative, folders created {@code 700}) with {@code text}, file {@code 600},
   * unless it exists: the first writer wins.
   *
   * @return whether this call created it
   */
  public boolean createOnce(String name, String text) {
    Path target = path.resolve(name);
    try {
      PrivateDirectories.createDirectories(target.getParent());
      try (java.nio.channels.SeekableByteChannel out = Files.newByteChannel(target, java.util.Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), PrivateDirectories.fileAttributes())) {
        out.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      }
      return true;
    } catch (java.nio.file.FileAlreadyExistsException taken) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * This process as the run directory names it: pid and start ({@link ProcessStart}), so a reused pid is
   * never taken for a live worker.
   */
  public static String thisProcess() {
    return THIS_PROCESS;
  }

  private static final String THIS_PROCESS = describe(ProcessHandle.current());

  private static String describe(ProcessHandle process) {
    OptionalLong start = ProcessStart.of(process);
    return process.pid() + "@" + (start.isPresent() ? start.getAsLong() : 0);
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
