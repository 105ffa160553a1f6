package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.internal.StatsRecorder;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.hazelcast.RunDirectory;
import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the embedded cluster of a run forms, with real JVMs started together as Surefire starts its forks:
 * through the run directory, into one cluster every time; safe while it forms (the workers start on the
 * run directory and move to the cluster together), as the server sees it; and one cluster again within
 * seconds after a member was cut off by a long pause.
 */
class RunFormationTest {
  private static final Duration BOUND = Duration.ofSeconds(90);
  /** Rounds of the simultaneous start; more with {@code -Dformation.rounds=20}. */
  private static final int ROUNDS = Integer.getInteger("formation.rounds", 3);

  private final List<ForkedJvm> workers = new ArrayList<>();
  private Map<String, String> env;
  @TempDir
  Path runDirs;

  @BeforeEach
  void run() throws IOException {
    env = newRun();
  }

  private Map<String, String> newRun() throws IOException {
    Map<String, String> run = new HashMap<>();
    String id = "formation-" + UUID.randomUUID();
    run.put("PYTEST_RUN_ID", id);
    run.put("PYTEST_RUN_DIR", runDirs.resolve(id).toString());
    run.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10)));
    run.put("PYTEST_CLUSTER_PORT_COUNT", "10");
    run.put("HAMMER_AWAIT_CLUSTER", "false");
    return run;
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ForkedJvm worker : workers) {
      worker.close();
    }
    workers.clear();
  }

  private ForkedJvm worker(String name, String url, int threads, int requestsEach) throws IOException {
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PYTEST_WORKER_ID", name);
    ForkedJvm jvm = ForkedJvm.start(name, HammerWorker.class, workerEnv, url, Integer.toString(threads), Integer.toString(requestsEach));
    workers.add(jvm);
    return jvm;
  }

  /** This worker's answer to a new AWAIT: its cluster size once it has {@code members}, and its coordination. */
  private static String awaitMembers(ForkedJvm worker, int members) throws IOException {
    long before = answers(worker).count();
    worker.tell("AWAIT");
    worker.tell(Integer.toString(members));
    Await.until(() -> answers(worker).count() > before, BOUND, "an answer to AWAIT " + members);
    return answers(worker).reduce((first, second) -> second).orElseThrow().substring("MEMBERS ".length());
  }

  private static java.util.stream.Stream<String> answers(ForkedJvm worker) {
    return worker.output().lines().filter(l -> l.startsWith("MEMBERS "));
  }

  @Test
  void fourJvmsStartedTogetherAlwaysFormOneCluster() throws Exception {
    try (LoopbackApi api = new LoopbackApi(0)) {
      for (int round = 1; round <= ROUNDS; round++) {
        env = newRun();
        for (int w = 1; w <= 4; w++) {
          worker("r" + round + "w" + w, api.url("/items").toString(), 2, 3);
        }
        for (ForkedJvm w : workers) {
          w.awaitLine(l -> l.startsWith("READY"), BOUND);
        }
        for (ForkedJvm w : workers) {
          String members = awaitMembers(w, 4);
          assertTrue(members.startsWith("4 cluster ratelimit-" + env.get("PYTEST_RUN_ID") + " (4 members"),
              "round " + round + ": " + members + "\n" + w.output());
        }
        stop();
      }
    }
  }

  @Test
  void aJvmStartingWhileTheOthersRunJoinsTheirClusterBeforeItSends() throws Exception {
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "2");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0");
    try (LoopbackApi api = new LoopbackApi(30)) {
      String url = api.url("/items").toString();
      for (int w = 1; w <= 3; w++) {
        worker("early" + w, url, 2, 10);
      }
      for (ForkedJvm w : workers) {
        w.awaitLine(l -> l.startsWith("READY"), BOUND);
        awaitMembers(w, 3);
      }
      ForkedJvm late = worker("late", url, 4, 10);
      assertTrue(late.awaitLine(l -> l.startsWith("READY"), BOUND).contains("(4 members"), "the late JVM sent its warm-up in the cluster: "
          + late.output());
      api.forgetArrivals();
      for (ForkedJvm w : workers) {
        w.tell("GO");
      }
      for (ForkedJvm w : workers) {
        w.awaitLine(l -> l.startsWith("DONE"), BOUND);
      }
      assertEquals(3 * 2 * 10 + 4 * 10, api.received());
      assertTrue(api.maxInFlight() <= 2, "server saw " + api.maxInFlight() + " in flight, cap 2");
    }
  }

  @Test
  void theFirstMemberKilledDuringFormationIsReplacedByALiveOne() throws Exception {
    try (LoopbackApi api = new LoopbackApi(0)) {
      String url = api.url("/items").toString();
      ForkedJvm first = worker("first", url, 1, 1);
      Path members = Path.of(env.get("PYTEST_RUN_DIR"), "members");
      ForkedJvm second = worker("second", url, 1, 1);
      ForkedJvm third = worker("third", url, 1, 1);
      // the first member has started and listed itself: the others are about to join it, or joining
      Await.until(() -> Files.exists(members) && read(members).contains(Long.toString(first.pid())), BOUND, "the first member listed");
      first.kill9();
      for (ForkedJvm w : List.of(second, third)) {
        w.awaitLine(l -> l.startsWith("READY"), BOUND);
        String joined = awaitMembers(w, 2);
        assertTrue(joined.startsWith("2 cluster"), w.output());
      }
    }
  }

  /** Rounds of the pause and merge; more with {@code -Dmerge.rounds=5}. */
  private static final int MERGE_ROUNDS = Integer.getInteger("merge.rounds", 1);
  /** Longest wait for each step of the pause and merge: the others' drop, the merge. */
  private static final Duration MERGE_BOUND = Duration.ofSeconds(60);

  /**
   * A member paused past the heartbeat timeout (a long GC pause; SIGSTOP here) is dropped by the others,
   * and once it runs again the run is one cluster again within seconds. Each round pauses, in turn, the
   * member that started the cluster (it was given no peers to join) and one that joined it. Membership is
   * read from each member's own view ({@code VIEW}: no call to another member, so a paused member stalls
   * no answer); every wait is bounded.
   */
  @Test
  void aMemberCutOffByALongPauseMergesBackWithinSeconds() throws Exception {
    try (LoopbackApi api = new LoopbackApi(0)) {
      List<String> merges = new ArrayList<>();
      for (int round = 1; round <= MERGE_ROUNDS; round++) {
        env = newRun();
        for (int w = 1; w <= 3; w++) {
          worker("p" + round + "w" + w, api.url("/items").toString(), 1, 1);
        }
        for (ForkedJvm w : workers) {
          w.awaitLine(l -> l.startsWith("READY"), BOUND);
          assertTrue(awaitMembers(w, 3).startsWith("3 cluster"), w.output());
        }
        // the run directory lists the members in the order they joined: the first one started the cluster
        List<String> listed = read(Path.of(env.get("PYTEST_RUN_DIR"), "members")).lines().map(l -> l.split("@")[0]).toList();
        boolean pauseTheFirst = round % 2 == 1;
        long pausedPid = Long.parseLong(pauseTheFirst ? listed.get(0) : listed.get(listed.size() - 1));
        ForkedJvm paused = workers.stream().filter(w -> w.pid() == pausedPid).findFirst().orElseThrow();
        List<ForkedJvm> others = workers.stream().filter(w -> w != paused).toList();
        String pausedUuid = view(paused).local();

        signal("STOP", paused);
        long stopped = System.nanoTime();
        try {
          Await.until(() -> others.stream().map(RunFormationTest::view).allMatch(v -> v.size() == 2 && !v.members().contains(pausedUuid)),
              MERGE_BOUND, "the others dropped the paused member");
        } finally {
          signal("CONT", paused);
        }
        long resumed = System.nanoTime();
        long dropMillis = (resumed - stopped) / 1_000_000;
        // one cluster again: every member sees the same three, the resumed one included
        Await.until(() -> {
          List<View> views = workers.stream().map(RunFormationTest::view).toList();
          return views.stream().allMatch(v -> v.size() == 3 && v.members().equals(views.get(0).members()));
        }, MERGE_BOUND, "one cluster of three again");
        long mergeMillis = (System.nanoTime() - resumed) / 1_000_000;
        View back = view(paused);
        String rejoinedAs = back.local().equals(pausedUuid) ? "the same member" : "a new member (" + pausedUuid + " before)";
        // the resumed member works in the merged cluster: its requests are admitted there
        int before = api.received();
        paused.tell("GO");
        paused.awaitLine(l -> l.startsWith("DONE"), MERGE_BOUND);
        assertEquals(before + 1, api.received(), paused.output());
        String what = (pauseTheFirst ? "the first member" : "a joined member") + ": dropped " + dropMillis + " ms after SIGSTOP, "
            + "one cluster again " + mergeMillis + " ms after SIGCONT";
        merges.add(what);
        System.out.println("round " + round + ", " + what + "; back as " + rejoinedAs + ": " + back);
        stop();
      }
      System.out.println("a member paused past the heartbeat timeout merged back: " + merges);
    }
  }

  /** A member's own view of the cluster: its size, its own uuid, every member's uuid. */
  private record View(int size, String local, java.util.Set<String> members) {}

  /** The worker's answer to a new VIEW (a fresh one: answers are counted before asking). */
  private static View view(ForkedJvm worker) {
    long before = views(worker).count();
    try {
      worker.tell("VIEW");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Await.until(() -> views(worker).count() > before, MERGE_BOUND, "an answer to VIEW");
    String[] parts = views(worker).reduce((first, second) -> second).orElseThrow().split(" ");
    return new View(Integer.parseInt(parts[1]), parts[2], parts.length > 3 ? java.util.Set.of(parts[3].split(",")) : java.util.Set.of());
  }

  private static java.util.stream.Stream<String> views(ForkedJvm worker) {
    return worker.output().lines().filter(l -> l.startsWith("VIEW "));
  }

  private static void signal(String signal, ForkedJvm jvm) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(jvm.pid())).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill -" + signal + " did not end");
    assertEquals(0, kill.exitValue(), "kill -" + signal);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void theMoveToTheClusterUnderLoadKeepsTheCapAndTheSpacing() throws Exception {
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "3");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.03");
    RunDirectory dir = RunDirectory.at(Path.of(env.get("PYTEST_RUN_DIR")));
    // a participant that never joins holds the move back until it leaves: the workers send on the run
    // directory first, then move while they send
    RunDirectoryState holdingBack = new RunDirectoryState(dir, "holding-back", new StatsRecorder());
    try (LoopbackApi api = new LoopbackApi(15)) {
      for (int w = 1; w <= 3; w++) {
        worker("w" + w, api.url("/items").toString(), 3, 1);
      }
      for (ForkedJvm w : workers) {
        assertTrue(w.awaitLine(l -> l.startsWith("READY"), BOUND).contains("READY run directory"), w.output());
      }
      api.forgetArrivals();
      for (ForkedJvm w : workers) {
        w.tell("STREAM");
      }
      Await.until(() -> api.received() >= 30, BOUND, "the workers send on the run directory");
      int beforeMove = api.received();
      holdingBack.close();
      Await.until(() -> RunDirectoryState.hasMoved(dir), BOUND, "the run moved to the cluster");
      Await.until(() -> api.received() >= beforeMove + 60, BOUND, "the workers send in the cluster");
      for (ForkedJvm w : workers) {
        assertTrue(awaitMembers(w, 3).startsWith("3 cluster"), w.output());
      }
      for (ForkedJvm w : workers) {
        w.close();
      }

      assertTrue(api.maxInFlight() <= 3, "server saw " + api.maxInFlight() + " in flight across 3 JVMs, cap 3");
      // no window of 10 delays holds more than 11 starts (see CrossWorkerLimitsTest), before, across and after the move
      List<Long> arrivals = api.arrivalTimesNanos();
      long window = TimeUnit.MILLISECONDS.toNanos(10 * 30);
      for (int i = 0; i + 11 < arrivals.size(); i++) {
        assertTrue(arrivals.get(i + 11) - arrivals.get(i) >= window, "12 starts within 10 delays from arrival " + i + " of "
            + arrivals.size() + " (" + beforeMove + " before the move); gaps (ms) "
            + api.arrivalGapsNanos().stream().map(g -> g / 100_000 / 10.0).toList());
      }
    }
  }
}
