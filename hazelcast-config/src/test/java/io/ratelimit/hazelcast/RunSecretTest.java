package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run's join secret: drawn once into the run directory, 600, read by the rest; never shown. */
class RunSecretTest {
  private static final String GIVEN = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path tmp;

  private ClusterSettings.Builder settings(ClusterMode mode, Path runDir) {
    return ClusterSettings.builder().mode(mode).runId("secret-test").runDirectory(runDir);
  }

  @Test
  void theFirstDrawsItInto600AndEveryoneElseReadsTheSame() throws Exception {
    RunDirectory dir = RunDirectory.at(tmp.resolve("run"));
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<String>> drawn = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      drawn.add(pool.submit(() -> {
        start.await();
        return RunSecret.drawOrRead(dir).text();
      }));
    }
    start.countDown();
    Set<String> seen = new HashSet<>();
    for (Future<String> f : drawn) {
      seen.add(f.get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertEquals(1, seen.size(), "one secret for the run");
    String secret = seen.iterator().next();
    assertTrue(secret.matches("[0-9a-f]{64}"), "32 random bytes, hex");

    Path file = dir.path().resolve(RunSecret.FILE);
    assertEquals(secret + "\n", Files.readString(file));
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
    try (Stream<Path> files = Files.list(dir.path())) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
    }
    assertEquals(secret, RunSecret.drawOrRead(dir).text(), "written once");
    assertEquals(secret, RunSecret.read(dir.path()).orElseThrow().text());
  }

  @Test
  void aClientReadsTheRunDirectorysSecretOrSaysWhatToSetAndNeverCreatesTheDirectory() {
    Path missing = tmp.resolve("no-run");
    IllegalStateException none = assertThrows(IllegalStateException.class,
        () -> RunSecret.of(settings(ClusterMode.CLIENT, missing).build()));
    assertTrue(none.getMessage().contains("PYTEST_CLUSTER_SECRET") && none.getMessage().contains("ClusterMember")
        && none.getMessage().contains("ratelimit-secret-test"), none.getMessage());
    assertFalse(Files.exists(missing), "a client never creates the run directory");

    Path run = tmp.resolve("run");
    String drawn = RunSecret.of(settings(ClusterMode.EMBEDDED, run).build()).text(); // a member of this machine draws it
    assertEquals(drawn, RunSecret.of(settings(ClusterMode.CLIENT, run).build()).text());
    assertEquals(GIVEN, RunSecret.of(settings(ClusterMode.CLIENT, missing).secret(GIVEN).build()).text(), "the variable wins");
  }

  @Test
  void aGivenSecretIsUsedAsItIsAndNothingIsWritten() {
    Path run = tmp.resolve("run");
    assertEquals(GIVEN, RunSecret.of(settings(ClusterMode.EMBEDDED, run).secret(GIVEN).build()).text());
    assertFalse(Files.exists(run.resolve(RunSecret.FILE)), "the secret of PYTEST_CLUSTER_SECRET is not copied to a file");
  }

  @Test
  void aSecretFileOthersCouldReadOrThatIsDamagedIsRefusedWithoutShowingIt() throws IOException {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path run = Files.createDirectories(tmp.resolve("run"));
    Path file = run.resolve(RunSecret.FILE);
    Files.writeString(file, GIVEN + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    IllegalStateException open = assertThrows(IllegalStateException.class, () -> RunSecret.read(run));
    assertTrue(open.getMessage().contains("rw-r--r--") && !open.getMessage().contains(GIVEN), open.getMessage());

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(file, "not a secret: " + GIVEN.substring(0, 10));
    IllegalStateException damaged = assertThrows(IllegalStateException.class, () -> RunSecret.read(run));
    assertTrue(damaged.getMessage().contains("damaged") && !damaged.getMessage().contains(GIVEN.substring(0, 10)), damaged.getMessage());
  }

  @Test
  void theClusterNameHoldsADigestOfTheRunAndTheSecretNeverTheSecret() {
    JoinSecret secret = JoinSecret.of(GIVEN);
    String name = secret.clusterName("run-1");
    assertTrue(name.matches("ratelimit-run-1-[0-9a-f]{64}"), name);
    assertFalse(name.contains(GIVEN));
    assertEquals(name, JoinSecret.of(GIVEN).clusterName("run-1"), "every JVM with the secret derives the same name");
    assertNotEquals(name, secret.clusterName("run-2"), "a name seen on the wire opens that run only");
    assertNotEquals(name, JoinSecret.of(GIVEN.replace('0', '1')).clusterName("run-1"));
    assertFalse(secret.toString().contains(GIVEN));
  }
}
