package io.ratelimit.benchmarks.overhead;

import io.ratelimit.benchmarks.Settings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

/**
 * Runs {@link LocalOverhead} and {@link ClusterOverhead} under JMH (sample time, one fork) with 1 and 8
 * threads and prints p50 and p99 per operation as a Markdown table.
 *
 * <p>{@code mvn -B -q -pl benchmarks exec:exec -Dbenchmark=io.ratelimit.benchmarks.overhead.OverheadBenchmark}
 * ({@code OVERHEAD_INCLUDE}, a regular expression of the benchmarks to run, default all;
 * {@code OVERHEAD_THREADS}, default {@code 1,8}).
 */
public final class OverheadBenchmark {
  private OverheadBenchmark() {}

  public static void main(String[] args) throws Exception {
    StringBuilder table = new StringBuilder("| benchmark | key owner | threads | p50 us | p99 us | ops/s (all threads) |\n|---|---|---:|---:|---:|---:|\n");
    List<String> problems = new ArrayList<>();
    String include = Settings.value("OVERHEAD_INCLUDE", LocalOverhead.class.getName() + "|" + ClusterOverhead.class.getName());
    int[] threadCounts = Settings.integers("OVERHEAD_THREADS", new int[] {1, 8}, 1, 256, problems);
    Settings.check("overhead benchmark", problems);
    for (int threads : threadCounts) {
      Options options = new OptionsBuilder()
          .include(include)
          .mode(Mode.SampleTime).timeUnit(TimeUnit.MICROSECONDS)
          .threads(threads).forks(1)
          .warmupIterations(2).warmupTime(TimeValue.seconds(2))
          .measurementIterations(3).measurementTime(TimeValue.seconds(3))
          .jvmArgsAppend("-Xmx512m")
          .build();
      Collection<RunResult> results = new Runner(options).run();
      for (RunResult r : results) {
        var stats = r.getPrimaryResult().getStatistics();
        String name = r.getParams().getBenchmark().replace("io.ratelimit.benchmarks.overhead.", "");
        String owner = r.getParams().getParam("owner");
        double p50 = stats.getPercentile(50.0);
        double p99 = stats.getPercentile(99.0);
        double opsPerSecond = threads * 1e6 / stats.getMean();
        table.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.0f |%n", name, owner == null ? "-" : owner, threads, p50, p99,
            opsPerSecond));
      }
    }
    System.out.println();
    System.out.print(table);
  }
}
