package io.ratelimit.benchmarks;

import java.util.List;

/**
 * A harness's settings from the environment, validated before it starts: each bad value is added to a list
 * of problems (naming the variable, the value and what is accepted), so one run reports them all.
 */
public final class Settings {
  private Settings() {}

  /** The variable's value, or {@code defaultValue} when it is unset or blank. */
  public static String value(String name, String defaultValue) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? defaultValue : value;
  }

  /** A whole number from {@code min} to {@code max}; otherwise a problem is added and the default returned. */
  public static int integer(String name, int defaultValue, int min, int max, List<String> problems) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    problems.add(name + "='" + value + "': expected a whole number from " + min + " to " + max);
    return defaultValue;
  }
}
