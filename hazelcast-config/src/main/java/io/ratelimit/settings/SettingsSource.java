package io.ratelimit.settings;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where raw settings are looked up: a property lookup (system properties, or JUnit configuration
 * parameters, which include them) that wins over the environment.
 */
public final class SettingsSource {
  private final Function<String, Optional<String>> properties;
  private final Map<String, String> environment;

  private SettingsSource(Function<String, Optional<String>> properties, Map<String, String> environment) {
    this.properties = Objects.requireNonNull(properties, "properties");
    this.environment = Map.copyOf(environment);
  }

  /** JVM system properties over the process environment. */
  public static SettingsSource system() {
    return of(key -> Optional.ofNullable(System.getProperty(key)), System.getenv());
  }

  /** A custom property lookup (e.g. JUnit's {@code getConfigurationParameter}) over an environment. */
  public static SettingsSource of(Function<String, Optional<String>> properties, Map<String, String> environment) {
    return new SettingsSource(properties, environment);
  }

  /** Only the given environment, no properties: handy in tests. */
  public static SettingsSource ofEnvironment(Map<String, String> environment) {
    return of(key -> Optional.empty(), environment);
  }

  /** The raw value of {@code key}, from a property if set, else from the environment. */
  public Optional<RawSetting> lookup(SettingKey key) {
    Optional<String> property = properties.apply(key.property());
    if (property.isPresent()) {
      return Optional.of(new RawSetting(key, property.get(), SettingSource.PROPERTY));
    }
    return Optional.ofNullable(environment.get(key.environment()))
        .map(text -> new RawSetting(key, text, SettingSource.ENVIRONMENT));
  }
}
