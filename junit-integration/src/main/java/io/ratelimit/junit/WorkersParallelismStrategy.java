package io.ratelimit.junit;

import io.ratelimit.junit.internal.JUnitSettings;
import java.util.OptionalInt;
import org.junit.platform.engine.ConfigurationParameters;
import org.junit.platform.engine.support.hierarchical.ParallelExecutionConfiguration;
import org.junit.platform.engine.support.hierarchical.ParallelExecutionConfigurationStrategy;

/**
 * JUnit's in-JVM parallelism from {@code PYTEST_WORKERS} (the number of processors when unset or
 * {@code auto}), and 1 when {@code PYTEST_DISABLE_PARALLEL=true}. Use it with
 * <pre>
 * junit.jupiter.execution.parallel.enabled=true
 * junit.jupiter.execution.parallel.mode.default=concurrent
 * junit.jupiter.execution.parallel.config.strategy=custom
 * junit.jupiter.execution.parallel.config.custom.class=io.ratelimit.junit.WorkersParallelismStrategy
 * </pre>
 */
public final class WorkersParallelismStrategy implements ParallelExecutionConfigurationStrategy {

  @Override
  public ParallelExecutionConfiguration createConfiguration(ConfigurationParameters parameters) {
    JUnitSettings.RunSettings run = JUnitSettings.run(JUnitSettings.source(parameters::get));
    OptionalInt workers = run.config().workers();
    int parallelism = run.config().disableParallel() ? 1 : workers.orElse(Runtime.getRuntime().availableProcessors());
    return new ParallelExecutionConfiguration() {
      @Override
      public int getParallelism() {
        return parallelism;
      }

      @Override
      public int getMinimumRunnable() {
        return parallelism;
      }

      @Override
      public int getMaxPoolSize() {
        // no compensating threads: PYTEST_WORKERS=1 must mean one test at a time in this JVM, even when
        // a test blocks (waiting for its turn or a lease), which JUnit's fork-join pool would otherwise
        // answer with an extra thread running another test
        return parallelism;
      }

      @Override
      public java.util.function.Predicate<? super java.util.concurrent.ForkJoinPool> getSaturatePredicate() {
        return pool -> true; // all threads blocked is a normal state here, not an error: carry on
      }

      @Override
      public int getCorePoolSize() {
        return parallelism;
      }

      @Override
      public int getKeepAliveSeconds() {
        return 30;
      }
    };
  }
}
