package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Learning from the API, run-wide: two worker JVMs in one cluster send to a loopback API that refuses
 * strictly, and the server's own record of arrivals is the evidence. A refusal teaches everyone a floor
 * above the configured delay, kept for the run, and widens the spacing for a while (the widening wears off
 * while requests succeed, down to the learned floor), a {@code Retry-After} stops every worker, and a
 * quota the API announces in its headers is spread over its window instead of spent and refused.
 */
class AdaptivePacingTest {
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static final int THREADS = 4;

  private final List<ForkedJvm> workers = new ArrayList<>();
  private Map<String, String> env;

  @BeforeEach
  void run() throws IOException {
    env = new HashMap<>();
    env.put("PYTEST_RUN_ID", "pacing-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(6)));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "6");
    env.put("PYTEST_MAX_CONCURRENT_REQUESTS", Integer.toString(THREADS));
    env.put("PYTEST_MAX_RETRIES", "5");
    env.put("PYTEST_BASE_BACKOFF", "0.05");
    env.put("PYTEST_MAX_BACKOFF", "5");
    env.put("PYTEST_ERROR_THRESHOLD", "1"); // stay parallel: the pacing is under test, not the switch
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ForkedJvm worker : workers) {
      worker.close();
    }
  }

  /** Two workers, in one cluster, ready to send {@code requestsEach} per thread to {@code url}. */
  private List<ForkedJvm> twoWorkers(String url, int requestsEach) throws IOException {
    List<ForkedJvm> started = new ArrayList<>();
    for (String name : List.of("w1", "w2")) {
      Map<String, String> workerEnv = new HashMap<>(env);
      workerEnv.put("PYTEST_WORKER_ID", name);
      ForkedJvm jvm = ForkedJvm.start(name, HammerWorker.class, workerEnv, url, Integer.toString(THREADS), Integer.toString(requestsEach));
      workers.add(jvm);
      started.add(jvm);
    }
    for (ForkedJvm jvm : started) {
      jvm.awaitLine(l -> l.startsWith("READY"), BOUND);
      jvm.tell("AWAIT");
      jvm.tell("2");
      jvm.awaitValue("MEMBERS", BOUND);
    }
    return started;
  }

  /** Each worker sends its requests; this is the {@code round}th time (the workers' answers are counted). */
  private static void sendAll(List<ForkedJvm> jvms, int round) throws IOException {
    for (ForkedJvm jvm : jvms) {
      jvm.tell("QUIET");
    }
    for (ForkedJvm jvm : jvms) {
      jvm.awaitLine(l -> l.equals("SENT"), round, BOUND);
    }
  }

  private static long delayNanos(ForkedJvm jvm, int asked) throws IOException {
    jvm.tell("DELAY");
    return Long.parseLong(jvm.awaitLine(l -> l.startsWith("DELAY "), asked, BOUND).substring("DELAY ".length()).trim());
  }

  private static long learnedNanos(ForkedJvm jvm, int asked) throws IOException {
    jvm.tell("LEARNED");
    return Long.parseLong(jvm.awaitLine(l -> l.startsWith("LEARNED "), asked, BOUND).substring("LEARNED ".length()).trim());
  }

  private static double refusedShare(List<StrictLimiterServer.Arrival> arrivals) {
    return arrivals.isEmpty() ? 0 : (double) arrivals.stream().filter(a -> !a.admitted()).count() / arrivals.size();
  }

  @Test
  void refusalsWidenEveryWorkersSpacingAndSuccessesNarrowItBack() throws Exception {
    // the API takes 40/s, the limits were copied as 50/s: the configured delay is 20% too short
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.02");
    try (StrictLimiterServer strict = StrictLimiterServer.leakyBucket(40).start();
        StrictLimiterServer lenient = StrictLimiterServer.pause().start()) {
      List<ForkedJvm> jvms = twoWorkers(strict.url("/items").toString(), 30);
      strict.reset();
      sendAll(jvms, 1);

      List<StrictLimiterServer.Arrival> arrivals = strict.arrivals();
      int third = arrivals.size() / 3;
      double first = refusedShare(arrivals.subList(0, third));
      double last = refusedShare(arrivals.subList(arrivals.size() - third, arrivals.size()));
      System.out.printf("AdaptivePacingTest: 429 share, first third %s, last third %s%n", pct(first), pct(last));
      assertTrue(first > 0, "a spacing 20% too short is refused at first");
      // in balance the widening left is about ten times the share of refusals, so with limits 25% off a few
      // percent stay refused (the advice then names the delay it settled at); the share falls, not to zero
      assertTrue(last < first, "the refusals fall once the spacing has widened: first third " + pct(first) + ", last third " + pct(last));
      assertEquals(240, strict.admitted(), "every request got through in the end");

      long widened = 0;
      long learned = 0;
      for (ForkedJvm jvm : jvms) {
        long delay = delayNanos(jvm, 1);
        assertTrue(delay > TimeUnit.MILLISECONDS.toNanos(20), "each worker's spacing widened above the floor: " + delay / 1e6 + " ms");
        widened = Math.max(widened, delay);
        learned = Math.max(learned, learnedNanos(jvm, 1));
      }
      assertTrue(learned > TimeUnit.MILLISECONDS.toNanos(20), "the refusals taught the run a floor above the configured delay: " + learned);

      // the same workers against an API that refuses nothing: the spacing narrows back, never below the floor
      for (ForkedJvm jvm : jvms) {
        jvm.tell("TARGET");
        jvm.tell(lenient.url("/items").toString());
        jvm.awaitValue("TARGET", BOUND);
      }
      sendAll(jvms, 2);
      assertEquals(0, lenient.refused());
      assertEquals(240, lenient.admitted(), "the workers sent to the lenient API");
      for (ForkedJvm jvm : jvms) {
        long delay = delayNanos(jvm, 2);
        System.out.printf("AdaptivePacingTest: effective delay widened to %.1f ms, after 240 successes %.1f ms%n", widened / 1e6, delay / 1e6);
        assertTrue(delay < widened && delay >= learned,
            "successes narrow the spacing toward the learned floor (" + learned / 1e6 + " ms), never below it: " + widened / 1e6
                + " ms, then " + delay / 1e6 + " ms");
        assertTrue(learnedNanos(jvm, 2) >= learned, "what the run learned is kept");
      }
    }
  }

  @Test
  void aRetryAfterStopsEveryWorkerUntilItEnds() throws Exception {
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.01");
    try (StrictLimiterServer server = StrictLimiterServer.pause().refuse(60, Duration.ofSeconds(2)).start()) {
      List<ForkedJvm> jvms = twoWorkers(server.url("/items").toString(), 25);
      server.reset();
      sendAll(jvms, 1);

      List<StrictLimiterServer.Arrival> arrivals = server.arrivals();
      StrictLimiterServer.Arrival refused = arrivals.stream().filter(a -> !a.admitted()).findFirst().orElseThrow();
      assertEquals(1, server.refused());
      // requests already on their way when the 429 was sent may still arrive: at most the in-flight cap of each worker
      long settled = refused.nanos() + TimeUnit.MILLISECONDS.toNanos(300);
      long pauseEnds = refused.nanos() + TimeUnit.MILLISECONDS.toNanos(1_900);
      long inPause = arrivals.stream().filter(a -> a.nanos() > settled && a.nanos() < pauseEnds).count();
      long onTheirWay = arrivals.stream().filter(a -> a.nanos() > refused.nanos() && a.nanos() <= settled).count();
      assertEquals(0, inPause, "no worker sends while the API's Retry-After lasts");
      assertTrue(onTheirWay <= 2 * THREADS, onTheirWay + " arrivals right after the 429, at most what was already admitted");
      assertEquals(200, server.admitted(), "every request got through after the pause");
    }
  }

  @ParameterizedTest
  @EnumSource(value = StrictLimiterServer.Header.class)
  void announcedQuotasAreSpreadOverTheirWindowNotSpentAndRefused(StrictLimiterServer.Header dialect) throws Exception {
    // 20 per 2 s is 10/s; the delay allows 20/s: twice too fast
    env.put("PYTEST_RATE_LIMIT_DELAY", "0.05");
    try (StrictLimiterServer server = StrictLimiterServer.fixedWindow(20, Duration.ofSeconds(2)).headers(dialect).start()) {
      List<ForkedJvm> jvms = twoWorkers(server.url("/items").toString(), 5); // 40 requests: two windows
      server.reset();
      sendAll(jvms, 1);

      List<StrictLimiterServer.Bucket> windows = server.buckets(Duration.ofSeconds(2));
      for (StrictLimiterServer.Bucket window : windows) {
        assertTrue(window.admitted() <= 20, "the server's own limit: " + windows);
        assertTrue(window.refused() <= 1, "at most one refusal per window (" + dialect + "): " + windows);
      }
      assertEquals(40, server.admitted());
    }
  }

  private static String pct(double share) {
    return String.format(java.util.Locale.ROOT, "%.1f%%", 100 * share);
  }
}
