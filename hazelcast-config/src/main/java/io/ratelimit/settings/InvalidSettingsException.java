package io.ratelimit.settings;

import java.util.List;

/**
 * Thrown at start-up when one or more settings have bad values. The message has one line per bad
 * setting, naming the variable, the value found and what is accepted.
 */
public final class InvalidSettingsException extends IllegalArgumentException {
  private final transient List<String> problems;

  /** @param problems one human-readable line per bad setting */
  public InvalidSettingsException(List<String> problems) {
    super(format(problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per bad setting. */
  public List<String> problems() {
    return problems;
  }

  private static String format(List<String> problems) {
    if (problems.size() == 1) {
      return "ratelimit-testkit: " + problems.get(0);
    }
    return "ratelimit-testkit: " + problems.size() + " invalid settings:\n  " + String.join("\n  ", problems);
  }
}
