package io.ratelimit.hazelcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * When a run directory's run ends, so that one build is one run: the JVMs using the run are listed in its
 * {@value #PRESENCE} file (each user of the run in a JVM on a line of its own: {@code pid@start#name}). A JVM entering a run whose listed JVMs have all ended (left, or died: a
 * {@code kill -9} leaves its line behind) and whose list has not changed for the grace period retires it
 * first: every file of the old run goes (state, counters, documents, claims, members, secret), so nothing
 * of it carries into the new one. Forks of one build that do not overlap (Surefire's {@code
 * reuseForks=false} starts the next fork right after the last one ended) come within the grace and meet
 * in one run; two builds under one long-lived parent (IDE, Gradle daemon) are apart by more and get two.
 */
final class RunLifetime {
  static final String PRESENCE = "presence";
  private static final Duration LOCK_BOUND = Duration.ofSeconds(30);

  private RunLifetime() {}

  /**
   * Lists this JVM in {@code dir}'s run, retiring the run there first if it is over.
   *
   * @return what this JVM found
   */
  static RunDirectory.Entry enter(RunDirectory dir, Duration grace, String participant) {
    return dir.locked(PRESENCE, LOCK_BOUND, () -> {
      List<String> live = liveProcesses(dir);
      boolean existed = Files.exists(dir.path().resolve(PRESENCE));
      boolean retire = false;
      if (live.isEmpty() && existed) {
        long idle = System.currentTimeMillis() - Files.getLastModifiedTime(dir.path().resolve(PRESENCE)).toMillis();
        retire = idle >= grace.toMillis();
      }
      if (retire) {
        clear(dir.path());
      }
      boolean alone = live.stream().noneMatch(p -> !p.equals(participant));
      if (!live.contains(participant)) {
        live.add(participant);
      }
      dir.write(PRESENCE, String.join("\n", live) + "\n");
      return retire || !existed ? RunDirectory.Entry.NEW_RUN : alone ? RunDirectory.Entry.RESUMED : RunDirectory.Entry.JOINED;
    });
  }

  /** Takes this JVM off {@code dir}'s list: when it was the last, the grace period starts now. */
  static void leave(RunDirectory dir, String participant) {
    dir.locked(PRESENCE, LOCK_BOUND, () -> {
      List<String> live = liveProcesses(dir);
      live.remove(participant);
      dir.write(PRESENCE, live.isEmpty() ? "" : String.join("\n", live) + "\n");
      return null;
    });
  }

  private static List<String> liveProcesses(RunDirectory dir) {
    List<String> live = new ArrayList<>();
    for (String line : dir.read(PRESENCE).orElse("").split("\n")) {
      String participant = line.trim();
      int hash = participant.indexOf('#');
      String process = hash < 0 ? participant : participant.substring(0, hash);
      if (!participant.isEmpty() && !live.contains(participant) && (process.equals(RunDirectory.thisProcess()) || RunDirectory.isAlive(process))) {
        live.add(participant);
      }
    }
    return live;
  }

  /** Removes everything of the old run but the lock files (held, or about to be, by JVMs of the new one). */
  private static void clear(Path run) throws IOException {
    List<Path> doomed = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(run)) { // follows no links
      paths.filter(p -> !p.equals(run) && !(p.getParent().equals(run) && p.getFileName().toString().endsWith(".lock")))
          .sorted(Comparator.reverseOrder()).forEach(doomed::add);
    }
    for (Path p : doomed) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        throw new UncheckedIOException("ratelimit-testkit: cannot retire the ended run in " + run + ": " + p, e);
      }
    }
  }
}
