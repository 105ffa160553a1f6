package io.ratelimit.benchmarks.drill;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * One worker JVM of a fault drill: it runs its shard of the example suite through JUnit's launcher with
 * the same parallel settings as the examples' Surefire forks, so the run's report is written when its
 * launcher session ends, as in a real build.
 *
 * <p>Usage: {@code SuiteWorker shard shards seconds}: the example classes, sorted by name, are dealt to
 * {@code shards} workers; this one runs class {@code i} when {@code i % shards == shard}. With
 * {@code seconds > 0} it runs its shard again and again until that much time has passed (a soak), and
 * prints {@code ITERATION n succeeded=.. failed=.. liveHeapMiB=..} after each pass; it ends with
 * {@code SUITE succeeded=.. failed=..}.
 */
public final class SuiteWorker {
  private static final String SUITE_PACKAGE = "io.ratelimit.examples";
  // as the examples' pom leaves them out (examples.excludedGroups): the run-wide switch to sequential (a demo of
  // its own), the suite of benchmarks/published-rate-suite.sh, and a test that passes only on Surefire's re-run
  static final List<String> EXCLUDED_TAGS = List.of("storm", "published-rate", "rerun");

  private SuiteWorker() {}

  public static void main(String[] args) {
    int shard = Integer.parseInt(args[0]);
    int shards = Integer.parseInt(args[1]);
    long seconds = Long.parseLong(args[2]);
    // as the examples' pom sets it for its forks
    System.setProperty("ratelimit.api.billing.max-concurrent-requests", "2");
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    long succeeded = 0;
    long failed = 0;
    try (LauncherSession session = LauncherFactory.openSession()) {
      List<String> classes = shardOf(session, shard, shards);
      System.out.println("CLASSES " + classes);
      for (int iteration = 1; ; iteration++) {
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        session.getLauncher().execute(request(classes), summary);
        succeeded += summary.getSummary().getTestsSucceededCount();
        failed += summary.getSummary().getTestsFailedCount();
        summary.getSummary().getFailures().forEach(f -> System.out.println("FAILED " + f.getTestIdentifier().getDisplayName()
            + ": " + f.getException()));
        if (seconds > 0) {
          System.out.println("ITERATION " + iteration + " succeeded=" + summary.getSummary().getTestsSucceededCount()
              + " failed=" + summary.getSummary().getTestsFailedCount() + " liveHeapMiB=" + liveHeapMiB());
        }
        if (System.nanoTime() - deadline >= 0) {
          break;
        }
      }
    } // the session ends here: the worker publishes its counts, waits for the others, one writes the report
    System.out.println("SUITE succeeded=" + succeeded + " failed=" + failed);
    System.out.flush();
    System.exit(0);
  }

  /** This worker's share of the suite's classes. */
  private static List<String> shardOf(LauncherSession session, int shard, int shards) {
    TestPlan plan = session.getLauncher().discover(LauncherDiscoveryRequestBuilder.request()
        .selectors(selectPackage(SUITE_PACKAGE)).filters(TagFilter.excludeTags(EXCLUDED_TAGS)).build());
    TreeSet<String> classes = new TreeSet<>();
    for (TestIdentifier root : plan.getRoots()) {
      for (TestIdentifier child : plan.getChildren(root)) {
        child.getSource().filter(ClassSource.class::isInstance).map(s -> ((ClassSource) s).getClassName()).ifPresent(classes::add);
      }
    }
    List<String> sorted = List.copyOf(classes);
    return sorted.stream().filter(c -> sorted.indexOf(c) % shards == shard).collect(Collectors.toList());
  }

  private static org.junit.platform.launcher.LauncherDiscoveryRequest request(List<String> classes) {
    return LauncherDiscoveryRequestBuilder.request()
        .selectors(classes.stream().map(c -> selectClass(c)).collect(Collectors.toList()))
        .filters(TagFilter.excludeTags(EXCLUDED_TAGS))
        .configurationParameters(Map.of(
            "junit.jupiter.execution.parallel.enabled", "true",
            "junit.jupiter.execution.parallel.mode.default", "concurrent",
            "junit.jupiter.execution.parallel.config.strategy", "custom",
            "junit.jupiter.execution.parallel.config.custom.class", "io.ratelimit.junit.WorkersParallelismStrategy"))
        .build();
  }

  /** Heap in use after a full collection: what this worker keeps, not what it has yet to collect. */
  private static long liveHeapMiB() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
  }
}
