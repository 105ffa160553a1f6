package io.ratelimit.benchmarks.overhead;

import com.hazelcast.core.HazelcastInstance;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.ratelimit.benchmarks.Member;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.cluster.ClusterLimiterState;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per request, on a two-member cluster (the benchmark's JVM and a forked {@link PeerMember}), with no
 * network call to an API: this library's cluster state (a permit with its start slot, one entry processor
 * call, then the release, a second one, waited for in {@code ratelimitTestkit}; {@code ratelimitTestkitAdmission}
 * is what a request waits for: the admission alone, its release made outside the measured time) against Bucket4j's
 * {@code tryConsume} (one call) on the same cluster, for keys owned by
 * this member or by the other one.
 */
@State(Scope.Benchmark)
public class ClusterOverhead {
  @Param({"this", "other"})
  public String owner;

  private ClusterConnection connection;
  private Member peer;
  private LimiterState ours;
  private ApiLimits limits;
  private Bucket bucket;

  @Setup(Level.Trial)
  public void cluster() throws Exception {
    int base = FreePorts.range(6);
    String runId = "jmh-" + UUID.randomUUID();
    peer = new Member(Map.of("PYTEST_RUN_ID", runId, "PYTEST_CLUSTER_PORT", Integer.toString(base), "PYTEST_CLUSTER_PORT_COUNT", "6"),
        PeerMember.class);
    HazelcastInstance hz;
    try {
      connection = ClusterConnector.connect(ClusterSettings.builder().runId(runId).ports(base, 6).build(), PeerMember::register);
      hz = connection.instance().orElseThrow();
      awaitTwoMembersOwningPartitions(hz);
    } catch (Exception | Error e) {
      if (connection != null) {
        connection.close();
      }
      peer.close(); // a failed set-up leaves no member JVM behind
      throw e;
    }
    boolean here = owner.equals("this");
    String api = keyOwnedBy(hz, here, "api:");
    limits = new ApiLimits(api, 1_000_000, Duration.ofNanos(1));
    ours = new ClusterLimiterState(hz, connection.displayName(), "bench", new StatsRecorder());
    String bucketKey = keyOwnedBy(hz, here, "", "");
    bucket = Bucket4jHazelcast.entryProcessorBasedBuilder(hz.<String, byte[]>getMap("bucket4j")).build().builder()
        .build(bucketKey, () -> BucketConfiguration.builder()
            .addLimit(limit -> limit.capacity(1_000_000_000L).refillGreedy(1_000_000_000L, Duration.ofSeconds(1))).build());
  }

  /** Partitions get owners once the cluster has formed and something asks for them. */
  private static void awaitTwoMembersOwningPartitions(HazelcastInstance hz) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      hz.getMap("warm-up").size(); // makes the partition table be assigned
      boolean assigned = hz.getCluster().getMembers().size() == 2
          && hz.getPartitionService().getPartitions().stream().allMatch(p -> p.getOwner() != null)
          && hz.getPartitionService().isClusterSafe();
      if (assigned) {
        return;
      }
      java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new IllegalStateException("the two-member cluster did not form within 60 s");
  }

  /** A name whose entries (with each prefix) all live on this member, or all on the other. */
  private static String keyOwnedBy(HazelcastInstance hz, boolean local, String... prefixes) {
    for (int i = 0; ; i++) {
      String name = "bench-" + i;
      boolean all = true;
      for (String prefix : prefixes) {
        all &= hz.getPartitionService().getPartition(prefix + name).getOwner().localMember() == local;
      }
      if (all) {
        return name;
      }
    }
  }

  @TearDown(Level.Trial)
  public void stop() throws InterruptedException {
    ours.close();
    connection.close();
    peer.close();
  }

  @Benchmark
  public void ratelimitTestkit(Blackhole hole) throws InterruptedIOException {
    io.ratelimit.core.internal.state.Admission admission = admit();
    hole.consume(admission.startIn());
    admission.permit().release(); // waiting for it, so the cost of both ends is counted
  }

  /** One thread's admission, given back after each measured call, outside the measured time. */
  @State(Scope.Thread)
  public static class Held {
    io.ratelimit.core.internal.state.Admission admission;

    @TearDown(Level.Invocation)
    public void release() {
      if (admission != null) {
        admission.permit().release(); // waited for, so no release is still on its way when the next admission is measured
        admission = null;
      }
    }
  }

  /**
   * What a request waits for: its admission, one call (the request path gives the permit back without
   * waiting, when the response is done; here that release happens outside the measured time).
   */
  @Benchmark
  public void ratelimitTestkitAdmission(Held held, Blackhole hole) throws InterruptedIOException {
    held.admission = admit();
    hole.consume(held.admission.startIn());
  }

  /** One admission (a permit and its start slot), as a request waits for it. */
  io.ratelimit.core.internal.state.Admission admit() throws InterruptedIOException {
    return ours.permits().admit(limits, Duration.ofSeconds(10), WaitCondition.NEVER).orElseThrow();
  }

  @Benchmark
  public boolean bucket4jTryConsume() {
    return bucket.tryConsume(1);
  }
}
