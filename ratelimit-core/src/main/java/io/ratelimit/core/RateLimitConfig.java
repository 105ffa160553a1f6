package io.ratelimit.core;

import io.ratelimit.settings.Setting;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
import io.ratelimit.settings.ValueParser;
import io.ratelimit.settings.ValueParsers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import io.github.resilience4j.retry.RetryConfig;
import java.util.regex.Pattern;

/**
 * The limits one API is tested under, immutable. Read it from the {@code PYTEST_*} environment with
 * {@link #fromEnvironment()}, or build it in code with {@link #builder()}.
 *
 * <p>Every setting has an environment variable ({@code PYTEST_MAX_CONCURRENT_REQUESTS}) and a property
 * ({@code ratelimit.max-concurrent-requests}, as a JVM system property or JUnit configuration parameter).
 * Precedence: builder &gt; property &gt; environment &gt; default. A named API ({@link #fromEnvironment(String)})
 * first looks for {@code ratelimit.api.<name>.<setting>} ({@code PYTEST_API_<NAME>_<SETTING>}), then for the
 * global setting. All values are validated once; every bad value is reported in one
 * {@link io.ratelimit.settings.InvalidSettingsException}.
 */
public final class RateLimitConfig {

  /** The API name used when none is given. */
  public static final String DEFAULT_API = "default";

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

  private static final Pattern API_NAME = Pattern.compile("[a-z][a-z0-9-]{0,39}");
  private static final double MAX_SECONDS = 86_400;

  private final String apiName;
  private final Setting<Boolean> rateLimited;
  private final Setting<Integer> maxConcurrentRequests;
  private final Setting<Duration> rateLimitDelay;
  private final Setting<Integer> maxRetries;
  private final Setting<Duration> baseBackoff;
  private final Setting<Duration> maxBackoff;
  private final Setting<Duration> permitTimeout;
  private final Setting<Double> errorThreshold;
  private final Setting<OptionalInt> workers;
  private final Setting<Boolean> disableParallel;
  private final Setting<Boolean> debug;
  private final Setting<Boolean> adaptiveDelay;
  private final RetryConfig retryConfig;

  private RateLimitConfig(Builder b) {
    this.apiName = b.apiName;
    this.rateLimited = b.rateLimited;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.rateLimitDelay = b.rateLimitDelay;
    this.maxRetries = b.maxRetries;
    this.baseBackoff = b.baseBackoff;
    this.maxBackoff = b.maxBackoff;
    this.permitTimeout = b.permitTimeout;
    this.errorThreshold = b.errorThreshold;
    this.workers = b.workers;
    this.disableParallel = b.disableParallel;
    this.debug = b.debug;
    this.adaptiveDelay = b.adaptiveDelay;
    this.retryConfig = b.retryConfig;
  }

  /** The default API's settings from system properties and the environment. */
  public static RateLimitConfig fromEnvironment() {
    return from(SettingsSource.system(), DEFAULT_API);
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
  public static Builder builderFrom(SettingsSource source, String apiName) {
    requireApiName(apiName);
    SettingsReader reader = new SettingsReader(source);
    Builder b = new Builder(apiName);
    b.rateLimited = read(reader, RATE_LIMITED, apiName, b.rateLimited.value(), ValueParsers.bool());
    b.maxConcurrentRequests = read(reader, MAX_CONCURRENT_REQUESTS, apiName, b.maxConcurrentRequests.value(), ValueParsers.integer(1, 10_000));
    b.rateLimitDelay = read(reader, RATE_LIMIT_DELAY, apiName, b.rateLimitDelay.value(), ValueParsers.seconds(0, 3_600));
    b.maxRetries = read(reader, MAX_RETRIES, apiName, b.maxRetries.value(), ValueParsers.integer(0, 100));
    b.baseBackoff = read(reader, BASE_BACKOFF, apiName, b.baseBackoff.value(), ValueParsers.seconds(0, 3_600));
    b.maxBackoff = read(reader, MAX_BACKOFF, apiName, b.maxBackoff.value(), ValueParsers.seconds(0, MAX_SECONDS));
    b.permitTimeout = read(reader, PERMIT_TIMEOUT, apiName, b.permitTimeout.value(), ValueParsers.seconds(0.001, MAX_SECONDS));
    b.adaptiveDelay = read(reader, ADAPTIVE_DELAY, apiName, b.adaptiveDelay.value(), ValueParsers.bool());
    // run-wide settings: one value for all APIs
    b.errorThreshold = reader.read(ERROR_THRESHOLD, b.errorThreshold.value(), ValueParsers.fraction(0, 1));
    b.workers = reader.read(WORKERS, b.workers.value(), workersParser());
    b.disableParallel = reader.read(DISABLE_PARALLEL, b.disableParallel.value(), ValueParsers.bool());
    b.debug = reader.read(DEBUG, b.debug.value(), ValueParsers.bool());
    checkBackoffs(reader, b);
    reader.throwIfInvalid();
    return b;
  }

  /** A builder with every setting at its default, for the default API. */
  public static Builder builder() {
    return new Builder(DEFAULT_API);
  }

  /** A builder starting from this configuration's values and their sources. */
  public Builder toBuilder() {
    Builder b = new Builder(apiName);
    b.rateLimited = rateLimited;
    b.maxConcurrentRequests = maxConcurrentRequests;
    b.rateLimitDelay = rateLimitDelay;
    b.maxRetries = maxRetries;
    b.baseBackoff = baseBackoff;
    b.maxBackoff = maxBackoff;
    b.permitTimeout = permitTimeout;
    b.errorThreshold = errorThreshold;
    b.workers = workers;
    b.disableParallel = disableParallel;
    b.debug = debug;
    b.adaptiveDelay = adaptiveDelay;
    b.retryConfig = retryConfig;
    return b;
  }

  private static <T> Setting<T> read(SettingsReader reader, SettingKey key, String apiName, T defaultValue, ValueParser<T> parser) {
    if (!DEFAULT_API.equals(apiName)) {
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

  private static void checkBackoffs(SettingsReader reader, Builder b) {
    if (b.maxBackoff.value().compareTo(b.baseBackoff.value()) < 0) {
      reader.reject(b.maxBackoff, seconds(b.maxBackoff.value()),
          "a max backoff at least the base backoff (" + b.baseBackoff.key().environment() + " = " + seconds(b.baseBackoff.value()) + " s)");
    }
  }

  private static void requireApiName(String apiName) {
    Objects.requireNonNull(apiName, "apiName");
    if (!API_NAME.matcher(apiName).matches()) {
      throw new IllegalArgumentException("invalid API name '" + apiName
          + "': expected lower-case letters, digits and dashes, starting with a letter, at most 40 characters");
    }
  }

  static String seconds(Duration d) {
    return java.math.BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
  }

  /** The API these limits are for ({@value #DEFAULT_API} unless named). */
  public String apiName() {
    return apiName;
  }

  /** {@code PYTEST_RATE_LIMITED}: when false, clients are plain (no limits, no retries) but still counted. */
  public boolean rateLimited() {
    return rateLimited.value();
  }

  /** {@code PYTEST_MAX_CONCURRENT_REQUESTS}: requests in flight at once, across all workers. */
  public int maxConcurrentRequests() {
    return maxConcurrentRequests.value();
  }

  /** {@code PYTEST_RATE_LIMIT_DELAY}: minimum time between request starts, across all workers. */
  public Duration rateLimitDelay() {
    return rateLimitDelay.value();
  }

  /**
   * {@code PYTEST_ADAPTIVE_DELAY}: whether 429s and 503s widen the spacing above {@link #rateLimitDelay()}
   * for the whole run, which then narrows back toward it while requests succeed (default true). The
   * configured delay is always the floor.
   */
  public boolean adaptiveDelay() {
    return adaptiveDelay.value();
  }

  /** {@code PYTEST_MAX_RETRIES}: retries after a 429. */
  public int maxRetries() {
    return maxRetries.value();
  }

  /** {@code PYTEST_BASE_BACKOFF}: the first backoff when the server gives no {@code Retry-After}. */
  public Duration baseBackoff() {
    return baseBackoff.value();
  }

  /** {@code PYTEST_MAX_BACKOFF}: cap on any single wait, {@code Retry-After} included. */
  public Duration maxBackoff() {
    return maxBackoff.value();
  }

  /** {@code PYTEST_PERMIT_TIMEOUT}: longest wait for a permit before the request goes ahead anyway, with a warning. */
  public Duration permitTimeout() {
    return permitTimeout.value();
  }

  /** {@code PYTEST_ERROR_THRESHOLD}: share of 429s among recent attempts above which the run goes sequential. */
  public double errorThreshold() {
    return errorThreshold.value();
  }

  /** {@code PYTEST_WORKERS}: number of workers, empty for automatic. */
  public OptionalInt workers() {
    return workers.value();
  }

  /** {@code PYTEST_DISABLE_PARALLEL}: run sequentially from the start. */
  public boolean disableParallel() {
    return disableParallel.value();
  }

  /** The resilience4j retry configuration handed in with {@link Builder#retryConfig}, if any. */
  public Optional<RetryConfig> retryConfig() {
    return Optional.ofNullable(retryConfig);
  }

  /** {@code PYTEST_DEBUG}: log the effective configuration and the library's DEBUG messages. */
  public boolean debug() {
    return debug.value();
  }

  /** Every setting with its effective value and source, in a stable order. */
  public List<Setting<?>> settings() {
    return List.of(rateLimited, maxConcurrentRequests, rateLimitDelay, maxRetries, baseBackoff, maxBackoff,
        permitTimeout, adaptiveDelay, errorThreshold, workers, disableParallel, debug);
  }

  /** Effective values as text, keyed by environment variable name, e.g. for a report. */
  public Map<String, Map<String, String>> describeAsMap() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (Setting<?> s : settings()) {
      out.put(s.key().environment(), Map.of("value", format(s.value()), "source", s.source().label(), "property", s.key().property()));
    }
    return out;
  }

  /** One line per setting: {@code PYTEST_MAX_RETRIES = 3 (default)}. */
  public String describe() {
    StringBuilder out = new StringBuilder("ratelimit-testkit configuration for API '").append(apiName).append("':");
    for (Setting<?> s : settings()) {
      out.append("\n  ").append(s.key().environment()).append(" = ").append(format(s.value()))
          .append(" (").append(s.source().label()).append(')');
    }
    return out.toString();
  }

  private static String format(Object value) {
    if (value instanceof Duration) {
      return seconds((Duration) value) + " s";
    }
    if (value instanceof OptionalInt) {
      OptionalInt o = (OptionalInt) value;
      return o.isPresent() ? Integer.toString(o.getAsInt()) : "auto";
    }
    return String.valueOf(value);
  }

  @Override
  public String toString() {
    return describe();
  }

  /** Builds a {@link RateLimitConfig}; values set here win over properties and the environment. */
  public static final class Builder {
    private String apiName;
    private Setting<Boolean> rateLimited = def(RATE_LIMITED, true);
    private Setting<Integer> maxConcurrentRequests = def(MAX_CONCURRENT_REQUESTS, 10);
    private Setting<Duration> rateLimitDelay = def(RATE_LIMIT_DELAY, Duration.ofMillis(100));
    private Setting<Integer> maxRetries = def(MAX_RETRIES, 3);
    private Setting<Duration> baseBackoff = def(BASE_BACKOFF, Duration.ofSeconds(1));
    private Setting<Duration> maxBackoff = def(MAX_BACKOFF, Duration.ofSeconds(60));
    private Setting<Duration> permitTimeout = def(PERMIT_TIMEOUT, Duration.ofSeconds(120));
    private Setting<Double> errorThreshold = def(ERROR_THRESHOLD, 0.1);
    private Setting<OptionalInt> workers = def(WORKERS, OptionalInt.empty());
    private Setting<Boolean> disableParallel = def(DISABLE_PARALLEL, false);
    private Setting<Boolean> debug = def(DEBUG, false);
    private Setting<Boolean> adaptiveDelay = def(ADAPTIVE_DELAY, true);
    private RetryConfig retryConfig;

    private Builder(String apiName) {
      this.apiName = apiName;
    }

    private static <T> Setting<T> def(SettingKey key, T value) {
      return new Setting<>(key, value, io.ratelimit.settings.SettingSource.DEFAULT);
    }

    /** The API these limits are for. */
    public Builder apiName(String apiName) {
      requireApiName(apiName);
      this.apiName = apiName;
      return this;
    }

    /**
     * Your own resilience4j {@code RetryConfig} (of {@code okhttp3.Response}) in place of the one made from
     * {@code PYTEST_MAX_RETRIES} and the backoffs (see {@link RetryPolicies#of(RateLimitConfig)}, a good
     * base: {@code RetryConfig.from(RetryPolicies.of(config)).maxAttempts(6).build()}). Whatever it says,
     * a request whose retries run out returns its last response rather than failing, no permit is held
     * while it waits, and exceptions pass through (OkHttp retries failed connections itself).
     */
    public Builder retryConfig(RetryConfig value) {
      retryConfig = Objects.requireNonNull(value);
      return this;
    }

    /** See {@link RateLimitConfig#rateLimited()}. */
    public Builder rateLimited(boolean value) {
      rateLimited = Setting.ofBuilder(RATE_LIMITED, value);
      return this;
    }

    /** See {@link RateLimitConfig#maxConcurrentRequests()}; at least 1. */
    public Builder maxConcurrentRequests(int value) {
      maxConcurrentRequests = Setting.ofBuilder(MAX_CONCURRENT_REQUESTS, value);
      return this;
    }

    /** See {@link RateLimitConfig#rateLimitDelay()}; zero turns spacing off. */
    public Builder rateLimitDelay(Duration value) {
      rateLimitDelay = Setting.ofBuilder(RATE_LIMIT_DELAY, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#adaptiveDelay()}. */
    public Builder adaptiveDelay(boolean value) {
      adaptiveDelay = Setting.ofBuilder(ADAPTIVE_DELAY, value);
      return this;
    }

    /** See {@link RateLimitConfig#maxRetries()}. */
    public Builder maxRetries(int value) {
      maxRetries = Setting.ofBuilder(MAX_RETRIES, value);
      return this;
    }

    /** See {@link RateLimitConfig#baseBackoff()}. */
    public Builder baseBackoff(Duration value) {
      baseBackoff = Setting.ofBuilder(BASE_BACKOFF, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#maxBackoff()}. */
    public Builder maxBackoff(Duration value) {
      maxBackoff = Setting.ofBuilder(MAX_BACKOFF, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#permitTimeout()}. */
    public Builder permitTimeout(Duration value) {
      permitTimeout = Setting.ofBuilder(PERMIT_TIMEOUT, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#errorThreshold()}. */
    public Builder errorThreshold(double value) {
      errorThreshold = Setting.ofBuilder(ERROR_THRESHOLD, value);
      return this;
    }

    /** See {@link RateLimitConfig#workers()}. */
    public Builder workers(int value) {
      workers = Setting.ofBuilder(WORKERS, OptionalInt.of(value));
      return this;
    }

    /** See {@link RateLimitConfig#disableParallel()}. */
    public Builder disableParallel(boolean value) {
      disableParallel = Setting.ofBuilder(DISABLE_PARALLEL, value);
      return this;
    }

    /** See {@link RateLimitConfig#debug()}. */
    public Builder debug(boolean value) {
      debug = Setting.ofBuilder(DEBUG, value);
      return this;
    }

    /**
     * The configuration.
     *
     * @throws io.ratelimit.settings.InvalidSettingsException naming every value set in code that is out of range
     */
    public RateLimitConfig build() {
      SettingsReader reader = new SettingsReader(SettingsSource.ofEnvironment(Map.of()));
      checkRange(reader, maxConcurrentRequests, maxConcurrentRequests.value() >= 1 && maxConcurrentRequests.value() <= 10_000, "a whole number from 1 to 10000");
      checkRange(reader, maxRetries, maxRetries.value() >= 0 && maxRetries.value() <= 100, "a whole number from 0 to 100");
      checkDuration(reader, rateLimitDelay, 3_600, false);
      checkDuration(reader, baseBackoff, 3_600, false);
      checkDuration(reader, maxBackoff, MAX_SECONDS, false);
      checkDuration(reader, permitTimeout, MAX_SECONDS, true);
      double t = errorThreshold.value();
      checkRange(reader, errorThreshold, t >= 0 && t <= 1, "a decimal number from 0 to 1");
      OptionalInt w = workers.value();
      checkRange(reader, workers, w.isEmpty() || (w.getAsInt() >= 1 && w.getAsInt() <= 1_024), "a whole number from 1 to 1024, or auto");
      checkBackoffs(reader, this);
      reader.throwIfInvalid();
      return new RateLimitConfig(this);
    }

    private static void checkRange(SettingsReader reader, Setting<?> s, boolean ok, String accepted) {
      if (!ok) {
        reader.reject(s, format(s.value()), accepted);
      }
    }

    private static void checkDuration(SettingsReader reader, Setting<Duration> s, double maxSeconds, boolean positive) {
      Duration d = s.value();
      boolean ok = !d.isNegative() && (!positive || !d.isZero()) && d.compareTo(Duration.ofMillis((long) (maxSeconds * 1000))) <= 0;
      if (!ok) {
        reader.reject(s, seconds(d), "a duration from " + (positive ? "1 ms" : "0") + " to " + (long) maxSeconds + " s");
      }
    }
  }
}
