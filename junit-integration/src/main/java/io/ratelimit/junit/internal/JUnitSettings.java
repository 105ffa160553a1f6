package io.ratelimit.junit.internal;

import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.spi.CoreSettings;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
import io.ratelimit.settings.ValueParser;
import io.ratelimit.settings.ValueParsers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The run-wide settings of the JUnit integration, read once from JUnit configuration parameters over the environment. */
public final class JUnitSettings {
  static final SettingKey CATEGORY_LIMITS = SettingKey.of("category-limits");
  static final SettingKey TEST_SLOT_TIMEOUT = SettingKey.of("test-slot-timeout");
  static final SettingKey STATS_REPORT = SettingKey.of("stats-report");
  static final SettingKey THROTTLED_TESTS = SettingKey.of("throttled-tests");

  /** What a test whose requests the limiter gave up on ends as ({@code PYTEST_THROTTLED_TESTS}). */
  public enum Throttled {
    /** Failed, with {@link io.ratelimit.core.RateLimitExhaustedException}: Surefire's {@code rerunFailingTestsCount} re-runs it. */
    FAIL,
    /** Aborted (JUnit's skipped), with the reason: the build stays green, the report counts it. */
    ABORT
  }

  /** The seed's table: how many tests of each tag may run at once across the run. */
  static final Map<String, Integer> DEFAULT_CATEGORY_LIMITS = Map.of("unit", 8, "integration", 4, "e2e", 10, "live", 10);

  private JUnitSettings() {}

  /**
   * The settings of a run.
   *
   * @param config the default API's configuration, with the run-wide settings
   * @param categoryLimits tag to how many tests with it may run at once
   * @param testSlotTimeout longest wait for a test's turn
   * @param reportDirectory where the report is written
   * @param throttled what a throttled test ends as
   */
  public record RunSettings(RateLimitConfig config, Map<String, Integer> categoryLimits, Duration testSlotTimeout, Path reportDirectory,
      Throttled throttled) {}

  /** JUnit configuration parameters (system properties and junit-platform.properties included) over the environment. */
  public static SettingsSource source(Function<String, Optional<String>> configurationParameters) {
    return SettingsSource.of(configurationParameters, System.getenv());
  }

  /**
   * Reads and validates the run's settings.
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value
   */
  public static RunSettings run(SettingsSource source) {
    RateLimitConfig config = RateLimitConfig.from(source, RateLimitConfig.DEFAULT_API);
    SettingsReader reader = new SettingsReader(source);
    Map<String, Integer> categories = new LinkedHashMap<>(DEFAULT_CATEGORY_LIMITS);
    reader.readOptional(CATEGORY_LIMITS, categoryLimits()).ifPresent(s -> categories.putAll(s.value()));
    Duration slotTimeout = reader.read(TEST_SLOT_TIMEOUT, Duration.ofMinutes(30), ValueParsers.seconds(1, 86_400)).value();
    CoreSettings.checkLeaseSettings(reader); // validated with the rest here; the coordinator keeps them
    String report = reader.read(STATS_REPORT, "target/ratelimit-report", ValueParsers.matching("[^\\u0000]{1,1024}", "a directory path")).value();
    Throttled throttled = reader.read(THROTTLED_TESTS, Throttled.FAIL, ValueParsers.choice(Throttled.class)).value();
    reader.throwIfInvalid();
    return new RunSettings(config, Map.copyOf(categories), slotTimeout, Path.of(report), throttled);
  }

  /** {@code tag=cap[,tag=cap...]}, e.g. {@code e2e=10,live=10}. */
  static ValueParser<Map<String, Integer>> categoryLimits() {
    ValueParser<Integer> cap = ValueParsers.integer(1, 10_000);
    return new ValueParser<>() {
      @Override
      public Map<String, Integer> parse(String text) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String pair : text.split(",", -1)) {
          String[] kv = pair.trim().split("=", -1);
          if (kv.length != 2 || !kv[0].trim().matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException();
          }
          out.put(kv[0].trim(), cap.parse(kv[1].trim()));
        }
        return out;
      }

      @Override
      public String accepted() {
        return "tag=cap pairs separated by commas, e.g. e2e=10,live=10 (caps from 1 to 10000)";
      }
    };
  }
}
