package io.ratelimit.hazelcast;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * When a process started, as every JVM on the machine computes it alike: with its pid, what names a process
 * (a run's build, a permit's or a lease's holder) so that a reused pid is not taken for it.
 *
 * <p>On Linux it is the start in clock ticks since boot, from {@code /proc/<pid>/stat}. The JDK's
 * {@code ProcessHandle.Info.startInstant()} adds to it the boot time that each JVM read once, when it
 * started, from the wall clock; a step of the wall clock (NTP, a virtual machine resumed) between two JVMs'
 * starts makes them disagree about the same process by whole seconds (seen: 1000 ms between two forks of one
 * build), and then the forks of a build form two runs, and a live holder looks dead. Elsewhere, and where
 * {@code /proc} cannot be read, it is {@code startInstant()} in milliseconds.
 */
final class ProcessStart {
  /** The field of {@code /proc/<pid>/stat} after the command's closing parenthesis that holds the start (field 22). */
  private static final int START_FIELD_AFTER_COMMAND = 19;

  private ProcessStart() {}

  /** When {@code process} started (clock ticks since boot on Linux, else epoch milliseconds); empty if unknown. */
  static OptionalLong of(ProcessHandle process) {
    Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
    if (Files.isReadable(stat)) {
      try {
        String line = Files.readString(stat);
        // the command, in parentheses, may hold spaces and parentheses itself: the fields follow its last ')'
        String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        return OptionalLong.of(Long.parseLong(fields[START_FIELD_AFTER_COMMAND]));
      } catch (IOException | RuntimeException gone) {
        // ended meanwhile, or a /proc of another shape: the JDK's view below
      }
    }
    return process.info().startInstant().map(Instant::toEpochMilli).map(OptionalLong::of).orElse(OptionalLong.empty());
  }
}
