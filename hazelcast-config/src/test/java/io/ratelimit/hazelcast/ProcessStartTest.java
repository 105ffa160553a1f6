package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process's start, as every JVM of the machine reads it: real processes, and the real {@code /proc}. */
class ProcessStartTest {
  @TempDir
  Path dir;

  @Test
  void aProcessHasOneStartAndALaterProcessALaterOne() throws Exception {
    OptionalLong self = ProcessStart.of(ProcessHandle.current());
    assertTrue(self.isPresent());
    assertEquals(self, ProcessStart.of(ProcessHandle.current()), "read again, the same");
    Process child = new ProcessBuilder("sleep", "30").start();
    try {
      OptionalLong started = ProcessStart.of(child.toHandle());
      assertTrue(started.isPresent());
      assertTrue(started.getAsLong() > self.getAsLong(), "the child started after this JVM");
      assertTrue(RunDirectory.isAlive(RunDirectory.thisProcess()));
    } finally {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void onLinuxACommandWithSpacesAndParenthesesIsReadPastItsLastParenthesis() throws Exception {
    Path sleep = Path.of("/bin/sleep");
    assumeTrue(Files.isReadable(Path.of("/proc/self/stat")) && Files.isExecutable(sleep), "Linux's /proc");
    Path odd = Files.copy(sleep, dir.resolve("a) b (c"));
    assertTrue(odd.toFile().setExecutable(true));
    Process child = new ProcessBuilder(odd.toString(), "30").start();
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(child.pid()), "stat"));
      assertTrue(stat.contains("(a) b (c)"), stat);
      OptionalLong started = ProcessStart.of(child.toHandle());
      assertTrue(started.isPresent());
      assertEquals(Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]), started.getAsLong());
    } finally {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aProcessIsAliveUnderItsNameUntilItEnds() throws IOException, InterruptedException {
    Process child = new ProcessBuilder("sleep", "30").start();
    String name = child.pid() + "@" + ProcessStart.of(child.toHandle()).getAsLong();
    assertTrue(RunDirectory.isAlive(name));
    child.destroyForcibly();
    assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    assertFalse(RunDirectory.isAlive(name));
  }
}
