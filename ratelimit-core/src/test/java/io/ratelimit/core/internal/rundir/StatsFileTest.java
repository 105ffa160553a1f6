package io.ratelimit.core.internal.rundir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ratelimit.core.ApiStats;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatsFileTest {
  @Test
  void countersComeBackAsTheyWereWritten() {
    Map<String, ApiStats> stats = Map.of(
        "default", new ApiStats(50, 51, 1, 1, 1, 0, 0, 0, 1000, 1000, 35615, 1607, Map.of(200, 40L, 201, 10L, 429, 1L)),
        "billing api", new ApiStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of()));
    assertEquals(Map.copyOf(stats), Map.copyOf(StatsFile.read(StatsFile.write(stats))));
    assertEquals(Map.of(), StatsFile.read(""));
  }

  @Test
  void somethingElseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> StatsFile.read("{\"default\":{\"requests\":1}}"));
  }
}
