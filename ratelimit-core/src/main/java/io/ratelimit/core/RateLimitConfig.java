package io.ratelimit.core;

import io.ratelimit.settings.Setting;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
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
 * The limits one API is tested under: an immutable value with defaults, built in code with
 * {@link #builder()}. {@link RateLimitConfigReader} reads one from the {@code PYTEST_*} environment, the
 * {@code ratelimit.*} properties or any settings source ({@link #fromEnvironment()} and {@link #from} are
 * shortcuts to it). Every value, from a source or set in code, is validated once; every bad value is
 * reported in one {@link io.ratelimit.settings.InvalidSettingsException}.
 */
public final class RateLimitConfig {

  /** The API name used when none is given. */
  public static final String DEFAULT_API = "default";

  private static final Pattern API_NAME = Pattern.compile("[a-z][a-z0-9-]{0,39}");
  /** The longest wait any duration setting accepts (a day). */
  static final double MAX_SECONDS = 86_400;

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

  /** The default API's settings from system properties and the environment (see {@link RateLimitConfigReader}). */
  public static RateLimitConfig fromEnvironment() {
    return RateLimitConfigReader.fromEnvironment();
  }

  /** A named API's settings from system properties and the environment (see {@link RateLimitConfigReader}). */
  public static RateLimitConfig fromEnvironment(String apiName) {
    return RateLimitConfigReader.fromEnvironment(apiName);
  }

  /**
   * A named API's settings from any source (see {@link RateLimitConfigReader#from}).
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value
   */
  public static RateLimitConfig from(SettingsSource source, String apiName) {
    return RateLimitConfigReader.from(source, apiName);
  }

  /**
   * A builder preloaded from {@code source} (see {@link RateLimitConfigReader#builderFrom}).
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value found in the source
   */
  public static Builder builderFrom(SettingsSource source, String apiName) {
    return RateLimitConfigReader.builderFrom(source, apiName);
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

  /** Rejects a max backoff below the base backoff, in {@code reader}. */
  static void checkBackoffs(SettingsReader reader, Builder b) {
    if (b.maxBackoff.value().compareTo(b.baseBackoff.value()) < 0) {
      reader.reject(b.maxBackoff, seconds(b.maxBackoff.value()),
          "a max backoff at least the base backoff (" + b.baseBackoff.key().environment() + " = " + seconds(b.baseBackoff.value()) + " s)");
    }
  }

  static void requireApiName(String apiName) {
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
    // package-private: RateLimitConfigReader sets them, with their sources
    Setting<Boolean> rateLimited = def(RateLimitConfigReader.RATE_LIMITED, true);
    Setting<Integer> maxConcurrentRequests = def(RateLimitConfigReader.MAX_CONCURRENT_REQUESTS, 10);
    Setting<Duration> rateLimitDelay = def(RateLimitConfigReader.RATE_LIMIT_DELAY, Duration.ofMillis(100));
    Setting<Integer> maxRetries = def(RateLimitConfigReader.MAX_RETRIES, 3);
    Setting<Duration> baseBackoff = def(RateLimitConfigReader.BASE_BACKOFF, Duration.ofSeconds(1));
    Setting<Duration> maxBackoff = def(RateLimitConfigReader.MAX_BACKOFF, Duration.ofSeconds(60));
    Setting<Duration> permitTimeout = def(RateLimitConfigReader.PERMIT_TIMEOUT, Duration.ofSeconds(120));
    Setting<Double> errorThreshold = def(RateLimitConfigReader.ERROR_THRESHOLD, 0.1);
    Setting<OptionalInt> workers = def(RateLimitConfigReader.WORKERS, OptionalInt.empty());
    Setting<Boolean> disableParallel = def(RateLimitConfigReader.DISABLE_PARALLEL, false);
    Setting<Boolean> debug = def(RateLimitConfigReader.DEBUG, false);
    Setting<Boolean> adaptiveDelay = def(RateLimitConfigReader.ADAPTIVE_DELAY, true);
    private RetryConfig retryConfig;

    Builder(String apiName) {
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
      rateLimited = Setting.ofBuilder(RateLimitConfigReader.RATE_LIMITED, value);
      return this;
    }

    /** See {@link RateLimitConfig#maxConcurrentRequests()}; at least 1. */
    public Builder maxConcurrentRequests(int value) {
      maxConcurrentRequests = Setting.ofBuilder(RateLimitConfigReader.MAX_CONCURRENT_REQUESTS, value);
      return this;
    }

    /** See {@link RateLimitConfig#rateLimitDelay()}; zero turns spacing off. */
    public Builder rateLimitDelay(Duration value) {
      rateLimitDelay = Setting.ofBuilder(RateLimitConfigReader.RATE_LIMIT_DELAY, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#adaptiveDelay()}. */
    public Builder adaptiveDelay(boolean value) {
      adaptiveDelay = Setting.ofBuilder(RateLimitConfigReader.ADAPTIVE_DELAY, value);
      return this;
    }

    /** See {@link RateLimitConfig#maxRetries()}. */
    public Builder maxRetries(int value) {
      maxRetries = Setting.ofBuilder(RateLimitConfigReader.MAX_RETRIES, value);
      return this;
    }

    /** See {@link RateLimitConfig#baseBackoff()}. */
    public Builder baseBackoff(Duration value) {
      baseBackoff = Setting.ofBuilder(RateLimitConfigReader.BASE_BACKOFF, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#maxBackoff()}. */
    public Builder maxBackoff(Duration value) {
      maxBackoff = Setting.ofBuilder(RateLimitConfigReader.MAX_BACKOFF, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#permitTimeout()}. */
    public Builder permitTimeout(Duration value) {
      permitTimeout = Setting.ofBuilder(RateLimitConfigReader.PERMIT_TIMEOUT, Objects.requireNonNull(value));
      return this;
    }

    /** See {@link RateLimitConfig#errorThreshold()}. */
    public Builder errorThreshold(double value) {
      errorThreshold = Setting.ofBuilder(RateLimitConfigReader.ERROR_THRESHOLD, value);
      return this;
    }

    /** See {@link RateLimitConfig#workers()}. */
    public Builder workers(int value) {
      workers = Setting.ofBuilder(RateLimitConfigReader.WORKERS, OptionalInt.of(value));
      return this;
    }

    /** See {@link RateLimitConfig#disableParallel()}. */
    public Builder disableParallel(boolean value) {
      disableParallel = Setting.ofBuilder(RateLimitConfigReader.DISABLE_PARALLEL, value);
      return this;
    }

    /** See {@link RateLimitConfig#debug()}. */
    public Builder debug(boolean value) {
      debug = Setting.ofBuilder(RateLimitConfigReader.DEBUG, value);
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
