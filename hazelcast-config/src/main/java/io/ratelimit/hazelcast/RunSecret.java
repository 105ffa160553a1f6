package io.ratelimit.hazelcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Where the run's join secret comes from: {@code PYTEST_CLUSTER_SECRET} when set (runs across machines);
 * otherwise the run directory's file {@value #FILE} ({@code 600}), which the first JVM of the run that forms a
 * cluster on this machine draws (32 bytes of {@link SecureRandom}, hex) and every later one reads. A client
 * only reads it (a client that drew its own would meet no one); {@code members} mode needs the variable
 * (members on other machines could not read this machine's file). Used on the cluster paths only: a run in
 * machine mode never draws one.
 */
public final class RunSecret {
  /** The secret's file in the run directory: readable by its user only, written once. */
  public static final String FILE = "join-secret";
  private static final String LOCK = "join-secret";
  private static final Duration LOCK_BOUND = Duration.ofSeconds(10); // holders keep it for a file read or write
  private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  private static final Set<PosixFilePermission> OWNER_ONLY = Set.copyOf(PosixFilePermissions.fromString("rw-------"));

  private RunSecret() {}

  /**
   * The join secret of the cluster {@code settings} describe.
   *
   * @throws IllegalStateException when there is none to be had (a client with neither the variable nor the
   *     run directory's file), or the file is not safe to use; the message never shows a secret
   */
  static JoinSecret of(ClusterSettings settings) {
    Optional<JoinSecret> given = settings.secret();
    if (given.isPresent()) {
      return given.get();
    }
    return switch (settings.mode()) {
      case MEMBERS -> throw new IllegalStateException("PYTEST_CLUSTER_MODE=members needs PYTEST_CLUSTER_SECRET, the same on every machine");
      case CLIENT -> clientOfThisMachine(settings).orElseThrow(() -> new IllegalStateException("no join secret for the run's cluster "
          + settings.displayName() + ": set PYTEST_CLUSTER_SECRET to the one its members were given, or run on the machine of its "
          + "ClusterMember (or embedded forks) with the same PYTEST_RUN_ID or PYTEST_RUN_DIR, whose run directory holds it ("
          + settings.runDirectory().resolve(FILE) + ")"));
      default -> drawOrRead(RunDirectory.of(settings));
    };
  }

  /**
   * A client using the secret of a run on this machine is one of the run's JVMs: listed in the run's
   * presence while it lives (see {@link RunLifetime}), so that a member started again while the clients
   * wait for their cluster continues the run, with its secret, instead of retiring it.
   */
  private static Optional<JoinSecret> clientOfThisMachine(ClusterSettings settings) {
    if (!Files.isDirectory(settings.runDirectory(), LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty(); // never creates the directory: there is no secret to find
    }
    RunDirectory.of(settings).enter(RunDirectory.thisProcess() + "#client");
    return read(settings.runDirectory());
  }

  /** The run directory's secret; the first caller of the run draws and writes it, under the directory's lock. */
  static JoinSecret drawOrRead(RunDirectory dir) {
    return dir.locked(LOCK, LOCK_BOUND, () -> {
      Optional<JoinSecret> existing = read(dir.path());
      if (existing.isPresent()) {
        return existing.get();
      }
      JoinSecret drawn = draw();
      dir.write(FILE, drawn.text() + "\n"); // 600 from its creation, renamed into place whole
      return drawn;
    });
  }

  /**
   * The secret in run directory {@code dir}, if one was written; never creates the directory.
   *
   * @throws IllegalStateException when the file is a link, readable by others or damaged
   */
  static Optional<JoinSecret> read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    requirePrivate(file);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException gone) {
      return Optional.empty(); // the run was retired meanwhile
    } catch (IOException e) {
      throw new UncheckedIOException("ratelimit-testkit: cannot read the run's join secret " + file, e);
    }
    try {
      return Optional.of(JoinSecret.of(text));
    } catch (IllegalArgumentException damaged) {
      throw new IllegalStateException("the run's join secret " + file + " is damaged (its content is not shown); "
          + "remove it, or the run directory, when no JVM of the run is left");
    }
  }

  /** A secret that others could read, or that a link points to, is no secret: refused rather than used. */
  private static void requirePrivate(Path file) {
    if (Files.isSymbolicLink(file)) {
      throw new IllegalStateException("the run's join secret " + file + " is a symbolic link; refused");
    }
    if (!POSIX) {
      return; // Windows: the run directory is the user's own (its ACLs)
    }
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      if (!OWNER_ONLY.containsAll(permissions)) {
        throw new IllegalStateException("the run's join secret " + file + " may be read or changed by other users ("
            + PosixFilePermissions.toString(permissions) + ", expected rw-------); refused: remove the run directory");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("ratelimit-testkit: cannot check the run's join secret " + file, e);
    }
  }

  private static JoinSecret draw() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return JoinSecret.of(HexFormat.of().formatHex(bytes));
  }
}
