package io.ratelimit.core;

import io.ratelimit.settings.Setting;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
import io.ratelimit.settings.ValueParser;
import io.ratelimit.settings.ValueParsers;
import java.util.OptionalInt;

/**
 * Reads a {@link RateLimitConfig} from its settings: the {@code PYTEST_*} environment variables and the
 * matching {@code ratelimit.*} properties (JVM system properties, JUnit configuration parameters), or any
 * {@link SettingsSource}. The config itself reads nothing: it is a value with defaults and a builder, as
 * resilience4j's configs are; this class names each setting ({@link SettingKey}) and says what it accepts.
 *
 * <p>Precedence: builder &gt; property &gt; environment &gt; default. A named API first looks for
 * {@code ratelimit.api.<name>.<setting>} ({@code PYTEST_API_<NAME>_<SETTING>}), then for the global setting.
 * All values are validated once; every bad value is reported in one
 * {@link io.ratelimit.settings.InvalidSettingsException}.
 */
public final class RateLimitConfigReader {
  static final SettingKey RATE_LIMITED = SettingKey.of("rate-limited");
  static final SettingKey MAX_CONCURRENT_REQUESTS = SettingKey.of("max-concurrent-requests");
  static final SettingKey RATE_LIMIT_DELAY = SettingKey.of("rate-limit-delay");
  static final SettingKey MAX_RETRIES = SettingKey.of("max-retries");
  static final SettingKey BASE_BACKOFF = SettingKey.of("base-backoff");
  static final SettingKey MAX_BACKOFF = SettingKey.of("max-backoff");
  static final SettingKey PERMIT_TIMEOUT = SettingKey.of("permit-timeout");
  static final SettingKey ERROR_THRESHOLD = SettingKey.of("error-threshold");
  static final SettingKey WORKERS = SettingKey.of("workers");
  static final SettingKey DISABLE_PARALLEL = SettingKey.of("disable-parallel");
  static final SettingKey DEBUG = SettingKey.of("debug");
  static final SettingKey ADAPTIVE_DELAY = SettingKey.of("adaptive-delay");

  private RateLimitConfigReader() {}

  /** The default API's settings from system properties and the environment. */
  public static RateLimitConfig fromEnvironment() {
    return from(SettingsSource.system(), RateLimitConfig.DEFAULT_API);
  }

  /** A named API's settings from system properties and the environment. */
  public static RateLimitConfig fromEnvironment(String apiName) {
    return from(SettingsSource.system(), apiName);
  }

  /**
   * A named API's settings from any source (e.g. JUnit configuration parameters over the environment).
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value
   */
  public static RateLimitConfig from(SettingsSource source, String apiName) {
    return builderFrom(source, apiName).build();
  }

  /**
   * A builder preloaded from {@code source}; values set on it win over the source.
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value found in the source
   */
  public static RateLimitConfig.Builder builderFrom(SettingsSource source, String apiName) {
    RateLimitConfig.requireApiName(apiName);
    SettingsReader reader = new SettingsReader(source);
    RateLimitConfig.Builder b = new RateLimitConfig.Builder(apiName);
    b.rateLimited = read(reader, RATE_LIMITED, apiName, b.rateLimited.value(), ValueParsers.bool());
    b.maxConcurrentRequests = read(reader, MAX_CONCURRENT_REQUESTS, apiName, b.maxConcurrentRequests.value(), ValueParsers.integer(1, 10_000));
    b.rateLimitDelay = read(reader, RATE_LIMIT_DELAY, apiName, b.rateLimitDelay.value(), ValueParsers.seconds(0, 3_600));
    b.maxRetries = read(reader, MAX_RETRIES, apiName, b.maxRetries.value(), ValueParsers.integer(0, 100));
    b.baseBackoff = read(reader, BASE_BACKOFF, apiName, b.baseBackoff.value(), ValueParsers.seconds(0, 3_600));
    b.maxBackoff = read(reader, MAX_BACKOFF, apiName, b.maxBackoff.value(), ValueParsers.seconds(0, RateLimitConfig.MAX_SECONDS));
    b.permitTimeout = read(reader, PERMIT_TIMEOUT, apiName, b.permitTimeout.value(), ValueParsers.seconds(0.001, RateLimitConfig.MAX_SECONDS));
    b.adaptiveDelay = read(reader, ADAPTIVE_DELAY, apiName, b.adaptiveDelay.value(), ValueParsers.bool());
    // run-wide settings: one value for all APIs
    b.errorThreshold = reader.read(ERROR_THRESHOLD, b.errorThreshold.value(), ValueParsers.fraction(0, 1));
    b.workers = reader.read(WORKERS, b.workers.value(), workersParser());
    b.disableParallel = reader.read(DISABLE_PARALLEL, b.disableParallel.value(), ValueParsers.bool());
    b.debug = reader.read(DEBUG, b.debug.value(), ValueParsers.bool());
    RateLimitConfig.checkBackoffs(reader, b);
    reader.throwIfInvalid();
    return b;
  }

  /** The API's own value of {@code key} if it has one, else the global one, else {@code defaultValue}. */
  private static <T> Setting<T> read(SettingsReader reader, SettingKey key, String apiName, T defaultValue, ValueParser<T> parser) {
    if (!RateLimitConfig.DEFAULT_API.equals(apiName)) {
      var scoped = reader.readOptional(key.forApi(apiName), parser);
      if (scoped.isPresent()) {
        return scoped.get();
      }
    }
    return reader.read(key, defaultValue, parser);
  }

  private static ValueParser<OptionalInt> workersParser() {
    ValueParser<Integer> count = ValueParsers.integer(1, 1_024);
    return new ValueParser<>() {
      @Override
      public OptionalInt parse(String text) {
        return "auto".equalsIgnoreCase(text) ? OptionalInt.empty() : OptionalInt.of(count.parse(text));
      }

      @Override
      public String accepted() {
        return count.accepted() + ", or auto";
      }
    };
  }
}
