package io.ratelimit.settings;

/** Where the effective value of a setting came from, in increasing order of precedence. */
public enum SettingSource {
  /** Nobody set it: the documented default. */
  DEFAULT,
  /** A {@code PYTEST_*} environment variable. */
  ENVIRONMENT,
  /** A {@code ratelimit.*} JVM system property or JUnit configuration parameter. */
  PROPERTY,
  /** Set in code, through a builder. */
  BUILDER;

  /** Lower-case label used in descriptions and reports. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
