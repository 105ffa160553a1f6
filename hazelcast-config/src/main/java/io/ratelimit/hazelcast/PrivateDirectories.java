package io.ratelimit.hazelcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Keeps a user's runs that user's alone: where they live by default, directories created {@code 700} and
 * files {@code 600}, and the check that a directory is private (not a symbolic link, owned by this user,
 * writable by no one else). On a file system without POSIX permissions (Windows) the checks are skipped:
 * there the temporary directory is the user's own already.
 */
public final class PrivateDirectories {
  static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  private static final Set<PosixFilePermission> OWNER_DIRECTORY = Set.copyOf(PosixFilePermissions.fromString("rwx------"));
  // lists, not arrays: a static array could be changed by anyone who holds it (a copy goes out each time)
  private static final List<FileAttribute<?>> DIRECTORY_ATTRIBUTES = POSIX
      ? List.of(PosixFilePermissions.asFileAttribute(OWNER_DIRECTORY)) : List.of();
  private static final List<FileAttribute<?>> FILE_ATTRIBUTES = POSIX
      ? List.of(PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))) : List.of();

  private PrivateDirectories() {}

  /** The attributes a new file of a run gets: readable and writable by its user only. */
  public static FileAttribute<?>[] fileAttributes() {
    return FILE_ATTRIBUTES.toArray(FileAttribute<?>[]::new);
  }

  /** Creates {@code dir} and its missing parents; the directories created here are {@code 700}. */
  public static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null && !Files.exists(parent)) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(dir, DIRECTORY_ATTRIBUTES.toArray(FileAttribute<?>[]::new));
    } catch (FileAlreadyExistsException raced) {
      // another JVM of the run made it first: the caller checks what is there
    }
  }

  /**
   * Why {@code dir} is not private to this user, if it is not: a symbolic link itself (links above it, such
   * as macOS's {@code /tmp}, are fine), owned by another user, or writable by its group or others.
   */
  public static Optional<String> problem(Path dir) {
    if (!POSIX) {
      return Optional.empty();
    }
    try {
      if (Files.isSymbolicLink(dir)) {
        return Optional.of("is a symbolic link");
      }
      PosixFileAttributes attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isDirectory()) {
        return Optional.of("is not a directory");
      }
      if (!attributes.owner().equals(Me.USER)) {
        return Optional.of("belongs to user " + attributes.owner().getName() + ", not to " + Me.USER.getName());
      }
      Set<PosixFilePermission> p = attributes.permissions();
      if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
        return Optional.of("can be written by its group or by others (mode " + PosixFilePermissions.toString(p) + ")");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("cannot be read (" + e.getMessage() + ")");
    }
  }

  /**
   * Makes {@code dir} (created if missing) private: {@code 700}, once {@link #problem} has nothing to say.
   *
   * @return why it cannot be used, if it cannot
   */
  static Optional<String> claim(Path dir) {
    try {
      createDirectories(dir);
    } catch (IOException e) {
      return Optional.of("cannot be created (" + e + ")");
    }
    Optional<String> problem = problem(dir);
    if (problem.isEmpty() && POSIX) {
      try {
        Files.setPosixFilePermissions(dir, OWNER_DIRECTORY); // its own user's: listing it is no one else's business
      } catch (IOException e) {
        return Optional.of("cannot be made private (" + e.getMessage() + ")");
      }
    }
    return problem;
  }

  /** Where this user's runs live by default, decided once per JVM (and said once, when it is not the first choice). */
  public static Path defaultRoot() {
    return DefaultRoot.PATH;
  }

  /**
   * The first private choice among: {@code $XDG_RUNTIME_DIR/ratelimit-testkit} (when set: the user's own
   * runtime directory), {@code <tmp>/ratelimit-testkit-<user>}, and {@code <home>/.cache/ratelimit-testkit}
   * when the one in the temporary directory is taken by someone else.
   */
  static Path chooseRoot(Optional<String> runtimeDirectory, Path temporary, Path home, String user) {
    if (runtimeDirectory.isPresent() && !runtimeDirectory.get().isBlank()) {
      Path runtime = Path.of(runtimeDirectory.get());
      if (runtime.isAbsolute() && Files.isDirectory(runtime) && problem(runtime).isEmpty()) {
        Path root = runtime.resolve("ratelimit-testkit");
        if (claim(root).isEmpty()) {
          return root;
        }
      }
    }
    Path shared = temporary.resolve("ratelimit-testkit-" + user.replaceAll("[^A-Za-z0-9._-]", "_"));
    Optional<String> problem = claim(shared);
    if (problem.isEmpty()) {
      return shared;
    }
    Path own = home.resolve(".cache").resolve("ratelimit-testkit");
    Optional<String> ownProblem = claim(own);
    if (ownProblem.isPresent()) {
      throw new UncheckedIOException(new IOException("ratelimit-testkit: no private place for this user's runs: " + shared + " "
          + problem.get() + ", and " + own + " " + ownProblem.get() + "; set PYTEST_RUN_DIR to a directory of your own"));
    }
    // the logger is looked up here, not when the class loads: a logging back-end's start costs a fork's
    // first request tens of milliseconds, and this warning is rare
    LoggerFactory.getLogger(PrivateDirectories.class).warn("ratelimit-testkit: {} {}; this user's runs are kept in {} instead", shared, problem.get(), own);
    return own;
  }

  /**
   * This JVM's user, as the file system names owners: the owner of {@code /proc/self} where there is one
   * (Linux), else of a file it has just created. Not {@code Files.createTempFile}: its random name would
   * start a {@code SecureRandom}, tens of milliseconds before the first request.
   */
  private static final class Me {
    static final UserPrincipal USER = find();

    private static UserPrincipal find() {
      try {
        Path self = Path.of("/proc/self");
        if (Files.isDirectory(self)) {
          return Files.getOwner(self);
        }
        Path probe = Path.of(System.getProperty("java.io.tmpdir"), "ratelimit-owner-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createFile(probe, fileAttributes());
        try {
          return Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
        } finally {
          Files.deleteIfExists(probe);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("ratelimit-testkit: cannot tell which user this JVM runs as", e);
      }
    }
  }

  private static final class DefaultRoot {
    static final Path PATH = chooseRoot(Optional.ofNullable(System.getenv("XDG_RUNTIME_DIR")),
        Path.of(System.getProperty("java.io.tmpdir")), Path.of(System.getProperty("user.home")), System.getProperty("user.name", "user"));
  }
}
