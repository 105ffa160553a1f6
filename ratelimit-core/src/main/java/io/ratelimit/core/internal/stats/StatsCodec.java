package io.ratelimit.core.internal.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RunMode;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** JSON text for what is shared as plain strings: a worker's counters and the run mode. */
public final class StatsCodec {
  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final TypeReference<Map<String, ApiStats>> STATS = new TypeReference<>() {};

  private StatsCodec() {}

  public static String statsToJson(Map<String, ApiStats> stats) {
    return write(stats);
  }

  public static Map<String, ApiStats> statsFromJson(String json) {
    try {
      return JSON.readValue(json, STATS);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String modeToJson(RunMode mode) {
    return write(Map.of("sequential", mode.sequential(),
        "switchedAt", mode.switchedAt().map(Instant::toString).orElse(""),
        "reason", mode.reason().orElse("")));
  }

  public static RunMode modeFromJson(String json) {
    if (json == null) {
      return RunMode.PARALLEL;
    }
    try {
      Map<String, Object> m = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
      if (!Boolean.TRUE.equals(m.get("sequential"))) {
        return RunMode.PARALLEL;
      }
      String at = (String) m.get("switchedAt");
      return new RunMode(true, at.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(at)),
          Optional.of((String) m.get("reason")));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
