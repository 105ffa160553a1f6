package io.ratelimit.settings;

import java.util.Locale;
import java.util.Objects;

/**
 * The two names of one setting: the property name ({@code ratelimit.max-concurrent-requests}) and the
 * environment variable derived from it ({@code PYTEST_MAX_CONCURRENT_REQUESTS}).
 *
 * <p>The environment name is the property name without its {@code ratelimit.} prefix, upper-cased,
 * with dots and dashes turned into underscores, after {@code PYTEST_}. So a named API's setting
 * {@code ratelimit.api.billing.max-concurrent-requests} is {@code PYTEST_API_BILLING_MAX_CONCURRENT_REQUESTS}.
 */
public final class SettingKey {
  private static final String PREFIX = "ratelimit.";

  private final String property;
  private final String environment;

  private SettingKey(String property, String environment) {
    this.property = property;
    this.environment = environment;
  }

  /** The key whose property name is {@code ratelimit.} + {@code name}, e.g. {@code of("max-retries")}. */
  public static SettingKey of(String name) {
    Objects.requireNonNull(name, "name");
    String property = PREFIX + name;
    String environment = "PYTEST_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    return new SettingKey(property, environment);
  }

  /** The same setting for a named API: {@code ratelimit.api.<api>.<name>}. */
  public SettingKey forApi(String api) {
    return of("api." + api + "." + property.substring(PREFIX.length()));
  }

  /** Property / JUnit configuration parameter name, e.g. {@code ratelimit.max-retries}. */
  public String property() {
    return property;
  }

  /** Environment variable name, e.g. {@code PYTEST_MAX_RETRIES}. */
  public String environment() {
    return environment;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SettingKey && ((SettingKey) o).property.equals(property);
  }

  @Override
  public int hashCode() {
    return property.hashCode();
  }

  @Override
  public String toString() {
    return environment + " (" + property + ")";
  }
}
