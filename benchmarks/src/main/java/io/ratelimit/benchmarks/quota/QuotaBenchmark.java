package io.ratelimit.benchmarks.quota;

import io.ratelimit.core.ForkedJvm;
import io.ratelimit.hazelcast.testing.FreePorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The quota benchmark: W worker JVMs x T threads send requests as fast as their client lets them, for a
 * fixed time, to a loopback API enforcing R requests/s (a leaky bucket with no burst, then a sliding
 * window). One row per contender: the share of R used by successful requests, the share of attempts
 * answered 429, the share of logical requests that succeeded (after retries), and the latency tests saw.
 *
 * <p>{@code mvn -B -q -pl benchmarks exec:exec -Dbenchmark=io.ratelimit.benchmarks.quota.QuotaBenchmark}
 * (environment variables {@code QUOTA_WORKERS}, {@code QUOTA_THREADS}, {@code QUOTA_PER_SECOND},
 * {@code QUOTA_SECONDS} change W, T, R and the time per row, defaults 4, 8, 20, 20; {@code QUOTA_CONTENDERS}
 * picks some of the contenders).
 */
public final class QuotaBenchmark {
  private static final List<String> CONTENDERS = List.of("none", "resilience4j-full", "resilience4j-divided", "bucket4j-hazelcast",
      "ratelimit-testkit", "bucket4j-hazelcast+10%", "ratelimit-testkit+10%");
  private static final Duration BOUND = Duration.ofSeconds(120);

  private QuotaBenchmark() {}

  public static void main(String[] args) throws Exception {
    int workers = fromEnvironment("QUOTA_WORKERS", 4);
    int threads = fromEnvironment("QUOTA_THREADS", 8);
    int perSecond = fromEnvironment("QUOTA_PER_SECOND", 20);
    int seconds = fromEnvironment("QUOTA_SECONDS", 20);
    int maxInFlight = 8;
    System.out.printf(Locale.ROOT, "W=%d workers x T=%d threads, R=%d requests/s, %d s per row, in flight cap %d (where the contender has one), "
        + "server latency %d ms%n%n", workers, threads, perSecond, seconds, maxInFlight, QuotaServer.LATENCY_MS);
    System.out.println("| quota | contender | quota use | 429 share of attempts | success after retries | p50 ms | p99 ms | logical requests |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
    for (QuotaServer.Policy policy : QuotaServer.Policy.values()) {
      String only = System.getenv("QUOTA_CONTENDERS"); // e.g. ratelimit-testkit,bucket4j-hazelcast: a subset
      for (String contender : only == null || only.isBlank() ? CONTENDERS : List.of(only.split(","))) {
        System.out.println(row(policy, contender, workers, threads, perSecond, seconds, maxInFlight));
      }
    }
  }

  private static String row(QuotaServer.Policy policy, String contender, int workers, int threads, int perSecond, int seconds,
      int maxInFlight) throws Exception {
    List<ForkedJvm> jvms = new ArrayList<>();
    try (QuotaServer server = new QuotaServer(policy, perSecond)) {
      Map<String, String> env = new HashMap<>();
      env.put("PYTEST_RUN_ID", "quota-" + UUID.randomUUID());
      env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(workers + 4)));
      env.put("PYTEST_CLUSTER_PORT_COUNT", Integer.toString(workers + 4));
      for (int w = 1; w <= workers; w++) {
        env.put("PYTEST_WORKER_ID", "w" + w);
        jvms.add(ForkedJvm.start("w" + w, QuotaWorker.class, env, contender, server.url(), Integer.toString(threads),
            Integer.toString(perSecond), Integer.toString(workers), Integer.toString(maxInFlight), Long.toString(seconds * 1000L)));
      }
      for (ForkedJvm jvm : jvms) {
        jvm.awaitLine(l -> l.startsWith("READY"), BOUND);
      }
      server.reset();
      for (ForkedJvm jvm : jvms) {
        jvm.tell("GO");
      }
      TimeUnit.SECONDS.sleep(seconds);
      long okInWindow = server.ok();
      List<Long> latencies = new ArrayList<>();
      long logical = 0;
      long ok = 0;
      for (ForkedJvm jvm : jvms) {
        String result = jvm.awaitValue("RESULT", BOUND.multipliedBy(3));
        for (String part : result.split(" ")) {
          String[] kv = part.split("=", 2);
          switch (kv[0]) {
            case "logical": logical += Long.parseLong(kv[1]); break;
            case "ok": ok += Long.parseLong(kv[1]); break;
            case "latencies":
              for (String l : kv[1].split(",")) {
                if (!l.isEmpty()) {
                  latencies.add(Long.parseLong(l));
                }
              }
              break;
            default:
          }
        }
      }
      Collections.sort(latencies);
      double quotaUse = (double) okInWindow / ((long) perSecond * seconds);
      double refusedShare = server.attempts() == 0 ? 0 : (double) server.refused() / server.attempts();
      double success = logical == 0 ? 0 : (double) ok / logical;
      return String.format(Locale.ROOT, "| %s | %s | %.0f%% | %.1f%% | %.1f%% | %d | %d | %d |",
          policy == QuotaServer.Policy.LEAKY_BUCKET ? "leaky bucket" : "sliding window", contender, 100 * quotaUse, 100 * refusedShare,
          100 * success, percentile(latencies, 0.50), percentile(latencies, 0.99), logical);
    } finally {
      for (ForkedJvm jvm : jvms) {
        jvm.close();
      }
    }
  }

  private static int fromEnvironment(String name, int defaultValue) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? defaultValue : Integer.parseInt(value.trim());
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }
}
