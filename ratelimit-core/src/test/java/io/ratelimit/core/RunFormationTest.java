package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
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
    run.put("PYTEST_CLUSTER_MODE", "embedded"); // the cluster path: the default (machine) keeps the run directory
    run.put("PYTEST_RUN_DIR", runDirs.resolve(id).toString());
    run.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10)));
    run.put("PYTEST_CLUSTER_PORT_COUNT", "10");
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

  @Tag("long") // .ci/run runs it in its own step: mvn verify stays within 5 minutes
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
   * A member paused past the heartbeat timeout (a long GC pause; SIGSTOP here) is dropped by the others, who
   * free what it held; the run keeps its limits across the pause, the resume and the return, as the server
   * sees it: with a cap of 1 and every worker sending without end, never two requests at once. The resumed
   * JVM notices its freeze and leaves its lost member before it sends again, then joins the others as a new
   * member; a lease it held, which another worker took once it was dropped, is lost to it, it says so, and
   * the run's lease table names one holder. Each round pauses, in turn, the member that started the cluster
   * (it was given no peers to join) and one that joined it. Membership is read from each member's own view
   * ({@code VIEW}: no call to another member, so a paused member stalls no answer); every wait is bounded.
   */
  @Tag("long") // .ci/run runs it in its own step: mvn verify stays within 5 minutes
  @Test
  void aMemberCutOffByALongPauseIsFencedAndComesBackWithinSeconds() throws Exception {
    List<String> rounds = new ArrayList<>();
    for (int round = 1; round <= MERGE_ROUNDS; round++) {
      env = newRun();
      env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "1");
      env.put("PYTEST_RATE_LIMIT_DELAY", "0");
      try (LoopbackApi api = new LoopbackApi(2)) {
        rounds.add(pauseAndResume(api, round));
      } catch (AssertionError e) {
        throw new AssertionError("round " + round + ": " + e.getMessage() + tails(), e);
      } finally {
        stop();
      }
    }
    System.out.println("a member paused past the heartbeat timeout was fenced and came back: " + rounds);
  }

  /** One round: the member paused is the first one in odd rounds, a joined one in even rounds; returns what was seen. */
  private String pauseAndResume(LoopbackApi api, int round) throws Exception {
    for (int w = 1; w <= 3; w++) {
      worker("p" + round + "w" + w, api.url("/items").toString(), 2, 1);
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
    ForkedJvm waiter = others.get(0);
    String pausedUuid = view(paused).local();
    // the member about to be paused holds a lease another worker waits for
    paused.tell("HOLD");
    paused.tell("billing-account");
    paused.awaitLine(l -> l.startsWith("HELD"), BOUND);
    waiter.tell("HOLD");
    waiter.tell("billing-account");
    for (ForkedJvm w : workers) {
      w.tell("STREAM");
      w.awaitLine(l -> l.startsWith("STREAMING"), BOUND);
    }
    Await.until(() -> api.received() >= 100, BOUND, "every worker sends");

    signal("STOP", paused);
    long stopped = System.nanoTime();
    try {
      Await.until(() -> others.stream().map(RunFormationTest::view).allMatch(v -> v.size() == 2 && !v.members().contains(pausedUuid)),
          MERGE_BOUND, "the others dropped the paused member");
      // the lease of the member they dropped is free: the waiter has it (before the paused member could take it back)
      waiter.awaitLine(l -> l.startsWith("HELD"), MERGE_BOUND);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; paused " + pausedUuid + ", the others' views "
          + others.stream().map(RunFormationTest::view).toList(), e);
    } finally {
      signal("CONT", paused);
    }
    long resumed = System.nanoTime();
    long dropMillis = (resumed - stopped) / 1_000_000;
    int receivedAtResume = api.received();
    long ownAtResume = own(paused);
    // one cluster again: every member sees the same three, the resumed one included
    Await.until(() -> {
      List<View> views = workers.stream().map(RunFormationTest::view).toList();
      return views.stream().allMatch(v -> v.size() == 3 && v.members().equals(views.get(0).members()));
    }, MERGE_BOUND, "one cluster of three again");
    long mergeMillis = (System.nanoTime() - resumed) / 1_000_000;
    View back = view(paused);
    // the resumed member sends again, in the run's cluster, and so do the others
    Await.until(() -> own(paused) >= ownAtResume + 20, MERGE_BOUND, "the resumed member sends again");
    long sendingMillis = (System.nanoTime() - resumed) / 1_000_000; // its rejoin, then turns shared with the others
    int receivedAtMerge = api.received();
    Await.until(() -> api.received() >= receivedAtMerge + 100, MERGE_BOUND, "the run sends on");

    // what the server saw first, then what the JVMs say
    int received = api.received();
    assertEquals(0, api.crowdedStarts(), "requests that arrived while another was in flight, cap 1 (of " + received + "; "
        + receivedAtResume + " before SIGCONT)");
    assertEquals(1, api.maxInFlight());
    String output = paused.output();
    assertTrue(output.contains("this JVM was frozen for") && output.contains("leaves it and sends nothing while it joins again"),
        "the resumed JVM says it was frozen and joins again:\n" + output);
    assertTrue(output.contains("lost its lease on [billing-account]"), "the resumed JVM says its lease is lost:\n" + output);
    String waiterOwner = waiter.awaitValue("HELD [billing-account]", BOUND);
    assertEquals("billing-account=" + waiterOwner, leases(paused), "the run's leases as the resumed JVM sees them");
    assertEquals("billing-account=" + waiterOwner, leases(waiter));
    assertTrue(!back.local().equals(pausedUuid), "back as a new member: " + back);
    String what = (pauseTheFirst ? "the first member" : "a joined member") + ": dropped " + dropMillis + " ms after SIGSTOP, "
        + "one cluster again " + mergeMillis + " ms after SIGCONT, its 20th request since within " + sendingMillis + " ms; "
        + received + " requests, " + (received - receivedAtResume) + " after SIGCONT, none beside another";
    System.out.println("round " + round + ", " + what);
    return what;
  }

  /** The last lines of every worker's output, for a failure's message. */
  private String tails() {
    StringBuilder out = new StringBuilder();
    for (ForkedJvm w : workers) {
      // the answers to VIEW and the stack traces' frames left out
      List<String> lines = w.output().lines().filter(l -> !l.startsWith("VIEW ") && !l.startsWith("\tat ")).toList();
      out.append("\n--- pid ").append(w.pid()).append(":\n").append(String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size())));
    }
    return out.toString();
  }

  /** This worker's own attempts so far (a fresh answer). */
  private static long own(ForkedJvm worker) {
    return Long.parseLong(ask(worker, "OWN").trim());
  }

  /** The run's live leases as this worker sees them, {@code resource=owner,...} (a fresh answer). */
  private static String leases(ForkedJvm worker) {
    return ask(worker, "LEASES").trim();
  }

  /** The worker's answer to a new {@code command}, the answer's line without the command's name. */
  private static String ask(ForkedJvm worker, String command) {
    java.util.function.Supplier<java.util.stream.Stream<String>> answers = () -> worker.output().lines().filter(l -> l.startsWith(command + " "));
    long before = answers.get().count();
    try {
      worker.tell(command);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Await.until(() -> answers.get().count() > before, MERGE_BOUND, "an answer to " + command);
    return answers.get().reduce((first, second) -> second).orElseThrow().substring(command.length() + 1);
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
    jvm.signal(signal);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void anEmbeddedRunIsInItsClusterFromItsFirstRequestAndKeepsTheCapAndTheSpacing() throws Exception {
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", "3");
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.03");
    RunDirectory dir = RunDirectory.at(Path.of(env.get("PYTEST_RUN_DIR")));
    try (LoopbackApi api = new LoopbackApi(15)) {
      for (int w = 1; w <= 3; w++) {
        worker("w" + w, api.url("/items").toString(), 3, 1);
      }
      for (ForkedJvm w : workers) {
        // READY follows the worker's first (warm-up) request: it was made in the cluster, never elsewhere
        assertTrue(w.awaitLine(l -> l.startsWith("READY"), BOUND).contains("READY cluster"), w.output());
      }
      assertTrue(RunDirectoryState.declaresCluster(dir), "the run directory names the cluster as the run's state");
      for (ForkedJvm w : workers) {
        w.tell("STREAM");
      }
      for (ForkedJvm w : workers) {
        w.awaitLine(l -> l.startsWith("STREAMING"), BOUND);
      }
      // the stamps of the first starts, while 9 new threads in 3 JVMs start on 2 cores,
      // lag by tens of ms (a late stamp is not an early start: see ClockTolerance); measure from the stream
      int started = api.received();
      Await.until(() -> api.received() >= started + 6, BOUND, "the streams run");
      api.forgetArrivals();
      int streamStart = api.received();
      Await.until(() -> api.received() >= streamStart + 60, BOUND, "the workers send in the cluster");
      for (ForkedJvm w : workers) {
        assertTrue(awaitMembers(w, 3).startsWith("3 cluster"), w.output());
      }
      for (ForkedJvm w : workers) {
        w.close();
      }

      assertTrue(api.maxInFlight() <= 3, "server saw " + api.maxInFlight() + " in flight across 3 JVMs, cap 3");
      StartWindows.assertRateKept(api.arrivalTimesNanos(), Duration.ofMillis(30), 0, "an embedded run");
    }
  }
}
