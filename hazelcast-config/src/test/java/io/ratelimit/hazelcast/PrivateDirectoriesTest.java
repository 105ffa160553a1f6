package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.settings.InvalidSettingsException;
import io.ratelimit.settings.SettingsSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run belongs to its user (issue 21): folders {@code 700} and files {@code 600}, a {@code PYTEST_RUN_DIR}
 * that others could read, write or swap is refused naming the setting, a default folder someone else took
 * is neither used nor fatal, and a second user of the machine neither blocks nor reads the first's runs.
 * The tests that need another user run only as root (as CI does), and say so when they do not.
 */
class PrivateDirectoriesTest {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  @TempDir
  Path work;

  @Test
  void aRunDirectoryItsFoldersAndFilesAreTheUsersAlone() throws IOException {
    RunDirectory run = RunDirectory.at(work.resolve("a").resolve("run"));
    run.enter(RunDirectory.thisProcess() + "#test");
    run.write("state.bin", "x");
    run.write("stats/w1", "{}");
    run.createOnce("claims/report", "w1");
    run.locked("state", Duration.ofSeconds(5), () -> null);
    try (Stream<Path> paths = Files.walk(work.resolve("a"))) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode(p), p.toString());
      }
    }
  }

  @Test
  void aGivenRunDirectoryThatIsALinkOrThatOthersMayWriteIsRefusedNamingTheSetting() throws IOException {
    Path target = Files.createDirectory(work.resolve("target"));
    Path link = Files.createSymbolicLink(work.resolve("link"), target);
    assertRefused(link, "is a symbolic link");
    Path shared = Files.createDirectory(work.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxr-x"));
    assertRefused(shared, "can be written by its group or by others");
    // a folder of the user's own that others may only read is taken, and made private
    Path readable = Files.createDirectory(work.resolve("readable"));
    Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rwxr-xr-x"));
    RunDirectory.of(settings(readable));
    assertEquals("rwx------", mode(readable));
  }

  @Test
  void anotherUsersRunDirectoryIsRefused() throws IOException {
    assumeRoot("giving a folder to another user");
    Path theirs = Files.createDirectory(work.resolve("theirs"));
    Files.setOwner(theirs, user("nobody"));
    assertRefused(theirs, "belongs to user nobody");
  }

  @Test
  void aDefaultFolderSomeoneElsePlantedIsNeitherUsedNorFatal() throws IOException {
    Path temporary = Files.createDirectory(work.resolve("tmp"));
    Path home = Files.createDirectory(work.resolve("home"));
    // a link planted where the user's folder goes: not followed, another private folder instead
    Files.createSymbolicLink(temporary.resolve("ratelimit-testkit-alice"), Files.createDirectory(work.resolve("trap")));
    Path chosen = PrivateDirectories.chooseRoot(Optional.empty(), temporary, home, "alice");
    assertEquals(home.resolve(".cache").resolve("ratelimit-testkit"), chosen);
    assertEquals("rwx------", mode(chosen));
    try (Stream<Path> trap = Files.list(work.resolve("trap"))) {
      assertEquals(0, trap.count(), "nothing written through the link");
    }
    // the user's runtime folder comes first when it is private
    Path runtime = Files.createDirectory(work.resolve("runtime"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    assertEquals(runtime.resolve("ratelimit-testkit"), PrivateDirectories.chooseRoot(Optional.of(runtime.toString()), temporary, home, "alice"));
  }

  @Test
  void aDefaultFolderAnotherUserOwnsIsNeitherUsedNorFatal() throws IOException {
    assumeRoot("giving a folder to another user");
    Path temporary = Files.createDirectory(work.resolve("tmp"));
    Path taken = Files.createDirectory(temporary.resolve("ratelimit-testkit-bob"));
    Files.setOwner(taken, user("nobody"));
    Path chosen = PrivateDirectories.chooseRoot(Optional.empty(), temporary, Files.createDirectory(work.resolve("home")), "bob");
    assertEquals(work.resolve("home").resolve(".cache").resolve("ratelimit-testkit"), chosen);
  }

  @Test
  void aSecondUserNeitherBlocksNorReadsTheFirstsRuns() throws Exception {
    assumeRoot("running a JVM as a throwaway second user");
    String user = "rltk" + UUID.randomUUID().toString().substring(0, 8);
    // a temporary directory both users share (as /tmp is), and the probe's classes where the second user can read them
    Path shared = Files.createTempDirectory("rltk-shared");
    Path classes = Files.createTempDirectory("rltk-classes");
    try {
      run(List.of("chmod", "1777", shared.toString())); // as /tmp is: everyone may create, no one may remove what is not theirs
      Files.setPosixFilePermissions(classes, PosixFilePermissions.fromString("rwxr-xr-x"));
      List<String> path = new ArrayList<>();
      int n = 0;
      for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
        Path copy = classes.resolve("cp" + n++);
        copyTree(Path.of(entry), copy);
        path.add(copy.toString());
      }
      run(List.of("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user));
      try {
        // the first user's run, in its default folder of the shared temporary directory
        Path mine = PrivateDirectories.chooseRoot(Optional.empty(), shared, work, System.getProperty("user.name"));
        RunDirectory first = RunDirectory.at(mine.resolve("first-user-run"));
        first.enter(RunDirectory.thisProcess() + "#first");
        first.write("state.bin", "secret state");
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        String out = run(List.of("runuser", "-u", user, "--", javaCommand, "-Djava.io.tmpdir=" + shared, "-Duser.home=/nonexistent",
            "-cp", String.join(java.io.File.pathSeparator, path), SecondUserProbe.class.getName(), first.path().toString()));
        assertTrue(out.contains("ROOT " + shared.resolve("ratelimit-testkit-" + user)), "its own folder beside the first's: " + out);
        assertTrue(out.contains("RUN ok"), "not blocked by the first user's runs: " + out);
        assertTrue(out.contains("READ denied"), "cannot read the first user's run: " + out);
        assertEquals("secret state", first.read("state.bin").orElseThrow());
      } finally {
        run(List.of("userdel", user));
      }
    } finally {
      deleteTree(shared);
      deleteTree(classes);
    }
  }

  private static void assertRefused(Path runDir, String why) {
    InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> settings(runDir));
    assertTrue(e.getMessage().contains("PYTEST_RUN_DIR") && e.getMessage().contains(runDir.toString()) && e.getMessage().contains(why),
        e.getMessage());
  }

  private static ClusterSettings settings(Path runDir) {
    return ClusterSettings.from(SettingsSource.ofEnvironment(Map.of("PYTEST_RUN_DIR", runDir.toString(), "PYTEST_RUN_ID", "private")));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  private static UserPrincipal user(String name) throws IOException {
    return java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(name);
  }

  private static void assumeRoot(String what) {
    if (!ROOT) {
      System.out.println("PrivateDirectoriesTest: not run (needs root, as CI has, for " + what + ")");
    }
    Assumptions.assumeTrue(ROOT, "needs root for " + what);
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(command + " did not end within 60 s");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), command + ": " + out);
    return out;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    if (Files.isDirectory(from)) {
      try (Stream<Path> paths = Files.walk(from)) {
        for (Path p : (Iterable<Path>) paths::iterator) {
          Path target = to.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target);
          }
        }
      }
    } else if (Files.exists(from)) {
      Files.copy(from, to);
    }
    makeReadable(to);
  }

  private static void makeReadable(Path tree) throws IOException {
    try (Stream<Path> paths = Files.walk(tree)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
  }

  private static void deleteTree(Path tree) throws IOException {
    try (Stream<Path> paths = Files.walk(tree)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
