package io.ratelimit.settings;

/**
 * Turns the text of a setting into a value, or rejects it.
 *
 * @param <T> the value's type
 */
public interface ValueParser<T> {

  /**
   * @param text the text, already trimmed and non-empty
   * @return the value
   * @throws IllegalArgumentException when the text is not acceptable
   */
  T parse(String text);

  /** What is accepted, completing "expected ...", e.g. "an integer from 1 to 10000". */
  String accepted();
}
