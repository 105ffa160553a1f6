package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.ConfigurationParameters;

class WorkersParallelismStrategyTest {

  private static ConfigurationParameters parameters(Map<String, String> values) {
    return new ConfigurationParameters() {
      @Override
      public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
      }

      @Override
      public Optional<Boolean> getBoolean(String key) {
        return get(key).map(Boolean::parseBoolean);
      }

      @Override
      public Set<String> keySet() {
        return values.keySet();
      }

      // abstract in JUnit 5's ConfigurationParameters, gone in 6: no @Override, so it compiles on both lines
      public int size() {
        return values.size();
      }
    };
  }

  @Test
  void pytestWorkersSetsTheParallelism() {
    assertEquals(3, new WorkersParallelismStrategy().createConfiguration(parameters(Map.of("ratelimit.workers", "3"))).getParallelism());
  }

  @Test
  void autoMeansOnePerProcessor() {
    assertEquals(Runtime.getRuntime().availableProcessors(),
        new WorkersParallelismStrategy().createConfiguration(parameters(Map.of("ratelimit.workers", "auto"))).getParallelism());
  }

  @Test
  void disableParallelMeansOne() {
    assertEquals(1, new WorkersParallelismStrategy().createConfiguration(
        parameters(Map.of("ratelimit.workers", "8", "ratelimit.disable-parallel", "yes"))).getParallelism());
  }
}
