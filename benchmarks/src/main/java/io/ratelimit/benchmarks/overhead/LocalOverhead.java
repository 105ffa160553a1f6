package io.ratelimit.benchmarks.overhead;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.local.LocalLimiterState;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import java.io.InterruptedIOException;
import java.time.Duration;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.hazelcast.RunDirectory;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per request, within one JVM and with no network call: this library's local state (take an in-flight
 * permit with a start slot, give the permit back) against bare resilience4j (Bulkhead permission,
 * RateLimiter permission, Bulkhead completion). Limits are set so that nobody ever waits.
 */
@State(Scope.Benchmark)
public class LocalOverhead {
  private final LimiterState ours = new LocalLimiterState("bench", "local", new StatsRecorder());
  private final ApiLimits limits = new ApiLimits("bench", 1_000_000, Duration.ofNanos(1));
  private final RateLimiter rateLimiter = RateLimiter.of("bench", RateLimiterConfig.custom()
      .limitForPeriod(Integer.MAX_VALUE).limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
  private final Bulkhead bulkhead = Bulkhead.of("bench", BulkheadConfig.custom().maxConcurrentCalls(1_000_000).build());

  @Benchmark
  public void ratelimitTestkit(Blackhole hole) throws InterruptedIOException {
    io.ratelimit.core.internal.state.Admission admission = ours.permits().admit(limits, Duration.ofSeconds(10), WaitCondition.NEVER).orElseThrow();
    hole.consume(admission.startIn());
    admission.permit().release(); // waiting for it, so the cost of both ends is counted
  }

  /**
   * The default state on one machine: the run directory (a file lock, a read and an atomic rename per
   * change), in a fresh temporary directory: the admission and the release each make one change.
   */
  private final RunDirectoryState runDirectory = new RunDirectoryState(
      RunDirectory.at(tempDirectory()), "bench", new StatsRecorder());

  @Benchmark
  public void ratelimitTestkitRunDirectory(Blackhole hole) throws InterruptedIOException {
    io.ratelimit.core.internal.state.Admission admission = runDirectory.permits().admit(limits, Duration.ofSeconds(10), WaitCondition.NEVER).orElseThrow();
    hole.consume(admission.startIn());
    admission.permit().release();
  }

  @TearDown
  public void close() {
    runDirectory.close();
  }

  private static java.nio.file.Path tempDirectory() {
    try {
      return java.nio.file.Files.createTempDirectory("ratelimit-bench-");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Benchmark
  public void resilience4j(Blackhole hole) {
    bulkhead.acquirePermission();
    hole.consume(rateLimiter.acquirePermission());
    bulkhead.onComplete();
  }
}
