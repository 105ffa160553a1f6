package io.ratelimit.hazelcast;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run as a second user of the machine by {@link PrivateDirectoriesTest}: starts a run of its own in its
 * default folder (the same temporary directory as the first user's), then tries to read the first user's
 * run. Prints {@code ROOT <its folder>}, {@code RUN ok} and {@code READ denied} or {@code READ <what it saw>}.
 * Usage: {@code SecondUserProbe <the first user's run directory>}.
 */
public final class SecondUserProbe {
  private SecondUserProbe() {}

  public static void main(String[] args) throws Exception {
    Path root = PrivateDirectories.defaultRoot();
    System.out.println("ROOT " + root);
    RunDirectory run = RunDirectory.at(root.resolve("second-user-run"));
    run.enter(RunDirectory.thisProcess() + "#probe");
    run.write("state.bin", "mine");
    System.out.println("RUN " + (run.read("state.bin").orElse("").equals("mine") ? "ok" : "broken"));
    Path theirs = Path.of(args[0]);
    try (var files = Files.list(theirs)) {
      System.out.println("READ listed " + files.count() + " files");
    } catch (java.io.IOException | SecurityException denied) {
      try {
        System.out.println("READ " + (Files.readString(theirs.resolve("presence")).isEmpty() ? "empty" : "read their presence"));
      } catch (java.io.IOException alsoDenied) {
        System.out.println("READ denied");
      }
    }
  }
}
