package io.ratelimit.benchmarks;

import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.local.LocalLimiterState;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.cluster.ClusterLimiterState;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What coordination costs per request, with no network call to an API: take an in-flight permit,
 * reserve a start slot, give the permit back. Local state against cluster state on a 2-member cluster
 * (this JVM and a forked member), for a key owned by this member and one owned by the other, with 1 and 8
 * threads. Then how long the k-th fork takes to join, and the memory of a member JVM.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -q -pl benchmarks exec:exec}
 */
public final class CoordinationOverhead {
  private static final int WARM_UP = 3_000;
  private static final int MEASURED = 10_000;

  private CoordinationOverhead() {}

  public static void main(String[] args) throws Exception {
    System.out.printf(Locale.ROOT, "# coordination overhead, %s, %d cores, Java %s%n%n", LocalDate.now(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    System.out.println("| state | key owner | threads | p50 us | p99 us | ops/s |");
    System.out.println("|---|---|---:|---:|---:|---:|");
    LimiterState local = new LocalLimiterState("bench", "local", new StatsRecorder());
    for (int threads : new int[] {1, 8}) {
      row("local", "-", threads, local, "default");
    }

    int base = FreePorts.range(10);
    Map<String, String> env = Map.of("PYTEST_RUN_ID", "bench-" + UUID.randomUUID(), "PYTEST_CLUSTER_PORT", Integer.toString(base),
        "PYTEST_CLUSTER_PORT_COUNT", "10");
    ClusterSettings settings = ClusterSettings.builder().runId(env.get("PYTEST_RUN_ID")).ports(base, 10).build();
    List<Long> joins = new ArrayList<>();
    List<Long> memory = new ArrayList<>();
    try (ClusterConnection connection = ClusterConnector.connect(settings, ClusterSerialization::register);
        Member other = new Member(env)) {
      HazelcastInstance hz = connection.instance().orElseThrow();
      LimiterState cluster = new ClusterLimiterState(hz, connection.displayName(), "bench", new StatsRecorder());
      String owned = apiOwnedBy(hz, true);
      String remote = apiOwnedBy(hz, false);
      for (int threads : new int[] {1, 8}) {
        row("cluster", "this member", threads, cluster, owned);
        row("cluster", "other member", threads, cluster, remote);
      }
      cluster.close();
      joins.add(other.joinMillis);
      memory.add(other.residentMib());
      List<Member> more = new ArrayList<>();
      for (int k = 2; k <= 4; k++) {
        Member m = new Member(env);
        more.add(m);
        joins.add(m.joinMillis);
        memory.add(m.residentMib());
      }
      for (Member m : more) {
        m.close();
      }
    }
    System.out.println();
    System.out.println("| fork k (joining a cluster of k members) | 1 | 2 | 3 | 4 |");
    System.out.println("|---|---:|---:|---:|---:|");
    System.out.println("| join time, ms | " + join(joins) + " |");
    System.out.println("| member JVM resident memory after join, MiB | " + join(memory) + " |");
  }

  private static String join(List<Long> values) {
    return String.join(" | ", values.stream().map(String::valueOf).toList());
  }

  /** An API name whose permit and slot entries both live on this member ({@code local}) or both elsewhere. */
  private static String apiOwnedBy(HazelcastInstance hz, boolean local) {
    for (int i = 0; ; i++) {
      String api = "bench-" + i;
      boolean permitHere = hz.getPartitionService().getPartition("api:" + api).getOwner().localMember();
      if (permitHere == local) {
        return api;
      }
    }
  }

  private static void row(String state, String owner, int threads, LimiterState limiter, String api) throws Exception {
    ApiLimits limits = new ApiLimits(api, 1_000_000, Duration.ofNanos(1));
    long[] nanos = run(limiter, limits, threads);
    Arrays.sort(nanos);
    long p50 = nanos[nanos.length / 2];
    long p99 = nanos[(int) (nanos.length * 0.99)];
    long total = Arrays.stream(nanos).sum();
    double opsPerSecond = threads * nanos.length / (total / 1e9);
    System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.0f |%n", state, owner, threads, p50 / 1e3, p99 / 1e3, opsPerSecond);
  }

  private static long[] run(LimiterState limiter, ApiLimits limits, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<long[]>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      results.add(pool.submit(() -> {
        start.await();
        long[] mine = new long[MEASURED / threads];
        for (int i = -WARM_UP / threads; i < mine.length; i++) {
          long begin = System.nanoTime();
          io.ratelimit.core.internal.state.Admission admission = limiter.permits().admit(limits, Duration.ofSeconds(10), WaitCondition.NEVER).orElseThrow();
          admission.permit().release(); // waiting for it, so the cost of both ends is counted
          if (i >= 0) {
            mine[i] = System.nanoTime() - begin;
          }
        }
        return mine;
      }));
    }
    start.countDown();
    List<Long> all = new ArrayList<>();
    for (Future<long[]> f : results) {
      for (long n : f.get()) {
        all.add(n);
      }
    }
    pool.shutdown();
    return all.stream().mapToLong(Long::longValue).toArray();
  }
}
