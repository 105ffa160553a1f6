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

  /** Comma-separated whole numbers, each from {@code min} to {@code max}; otherwise a problem is added and the default returned. */
  public static int[] integers(String name, int[] defaultValues, int min, int max, List<String> problems) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      return defaultValues.clone();
    }
    String[] parts = value.split(",", -1);
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
        if (out[i] >= min && out[i] <= max) {
          continue;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      problems.add(name + "='" + value + "': expected whole numbers from " + min + " to " + max + ", separated by commas");
      return defaultValues.clone();
    }
    return out;
  }

  /** One of {@code accepted}; otherwise a problem is added and the default returned. */
  public static String oneOf(String name, String defaultValue, List<String> accepted, List<String> problems) {
    String value = value(name, defaultValue).trim();
    if (accepted.contains(value)) {
      return value;
    }
    problems.add(name + "='" + value + "': expected " + String.join(", ", accepted.subList(0, accepted.size() - 1))
        + (accepted.size() > 1 ? " or " : "") + accepted.get(accepted.size() - 1));
    return defaultValue;
  }

  /** Stops the harness before it starts when any setting was bad, naming every one. */
  public static void check(String harness, List<String> problems) {
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("bad " + harness + " settings:\n  " + String.join("\n  ", problems));
    }
  }
}
