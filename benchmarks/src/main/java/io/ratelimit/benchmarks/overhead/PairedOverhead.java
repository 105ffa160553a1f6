package io.ratelimit.benchmarks.overhead;

import io.ratelimit.benchmarks.Settings;
import io.ratelimit.core.internal.state.Admission;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The cluster's admission against Bucket4j's {@code tryConsume}, measured in pairs: one of each, back to back
 * in a random order, on the same two-member cluster at the same moment ({@link ClusterOverhead}'s set-up).
 * JMH measures each benchmark in a trial of its own (a JVM and a cluster of its own), and trials of the very
 * same code differ by 5-10% at p50 on a 2-core machine, more than the two libraries differ; pairs share
 * whatever the machine is doing, so their difference is the libraries'. Prints a Markdown table: each
 * round's percentiles of both, the median of the pairs' differences and how many pairs the admission won.
 *
 * <p>{@code mvn -B -q -pl benchmarks exec:exec -Dbenchmark=io.ratelimit.benchmarks.overhead.PairedOverhead}
 * ({@code PAIRED_ROUNDS}, default 3: a fresh cluster per round and key owner; {@code PAIRED_PAIRS}, default
 * 30000 measured pairs per round; {@code PAIRED_WARMUP}, default 10000 pairs first, not counted).
 */
public final class PairedOverhead {
  private PairedOverhead() {}

  public static void main(String[] args) {
    List<String> problems = new ArrayList<>();
    int rounds = Settings.integer("PAIRED_ROUNDS", 3, 1, 100, problems);
    int pairs = Settings.integer("PAIRED_PAIRS", 30_000, 100, 10_000_000, problems);
    int warmup = Settings.integer("PAIRED_WARMUP", 10_000, 0, 10_000_000, problems);
    Settings.check("PairedOverhead", problems); // before any member starts
    int status = 0;
    try {
      run(rounds, pairs, warmup);
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status); // the peer members' JVMs are stopped; Hazelcast's own threads need not be waited for
  }

  private static void run(int rounds, int pairs, int warmup) throws Exception {
    System.out.printf(Locale.ROOT, "# cluster admission against Bucket4j's tryConsume, in pairs: %s, %d cores, Java %s; %d rounds of %d pairs"
            + " after %d warm-up pairs, a fresh two-member cluster per round and key owner, each pair's order random%n%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), rounds, pairs, warmup);
    System.out.println("| round | key owner | admission p50 us | tryConsume p50 us | p50 difference | pairs' median difference us"
        + " | admission faster in | admission p99 us | tryConsume p99 us |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (int round = 1; round <= rounds; round++) {
      for (String owner : new String[] {"this", "other"}) {
        Round r = measure(owner, pairs, warmup, round);
        System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.1f | %+.1f%% | %+.1f | %.0f%% | %.1f | %.1f |%n", round, owner,
            micros(r.ours, 0.50), micros(r.theirs, 0.50), 100.0 * (percentile(r.ours, 0.50) - percentile(r.theirs, 0.50)) / percentile(r.theirs, 0.50),
            micros(r.difference, 0.50), 100.0 * r.oursFaster / pairs, micros(r.ours, 0.99), micros(r.theirs, 0.99));
      }
    }
  }

  private record Round(long[] ours, long[] theirs, long[] difference, int oursFaster) {}

  private static Round measure(String owner, int pairs, int warmup, long seed) throws Exception {
    ClusterOverhead cluster = new ClusterOverhead();
    cluster.owner = owner;
    cluster.cluster();
    try {
      SplittableRandom order = new SplittableRandom(seed);
      long[] ours = new long[pairs];
      long[] theirs = new long[pairs];
      for (int i = 0; i < warmup; i++) {
        pair(cluster, order.nextBoolean(), ours, theirs, 0); // into the first pair's place, which the first measured pair overwrites
      }
      for (int i = 0; i < pairs; i++) {
        pair(cluster, order.nextBoolean(), ours, theirs, i);
      }
      long[] difference = new long[pairs];
      int oursFaster = 0;
      for (int i = 0; i < pairs; i++) {
        difference[i] = ours[i] - theirs[i];
        oursFaster += ours[i] < theirs[i] ? 1 : 0;
      }
      Arrays.sort(ours);
      Arrays.sort(theirs);
      Arrays.sort(difference);
      return new Round(ours, theirs, difference, oursFaster);
    } finally {
      cluster.stop();
    }
  }

  /** One admission (its release after it, waited for and not timed) and one {@code tryConsume}, in the order given. */
  private static void pair(ClusterOverhead cluster, boolean admissionFirst, long[] ours, long[] theirs, int i) throws Exception {
    for (int k = 0; k < 2; k++) {
      if ((k == 0) == admissionFirst) {
        long start = System.nanoTime();
        Admission admission = cluster.admit();
        ours[i] = System.nanoTime() - start;
        admission.permit().release();
      } else {
        long start = System.nanoTime();
        if (!cluster.bucket4jTryConsume()) {
          throw new IllegalStateException("Bucket4j refused a token: its bucket holds a billion a second");
        }
        theirs[i] = System.nanoTime() - start;
      }
    }
  }

  private static double percentile(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
  }

  private static double micros(long[] sorted, double p) {
    return percentile(sorted, p) / 1_000.0;
  }
}
