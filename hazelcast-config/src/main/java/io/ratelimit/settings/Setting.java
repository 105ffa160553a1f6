package io.ratelimit.settings;

/**
 * The effective value of one setting and where it came from.
 *
 * @param key the setting
 * @param value its effective value
 * @param source where that value came from
 * @param <T> the value's type
 */
public record Setting<T>(SettingKey key, T value, SettingSource source) {

  /** The value as set in code, through a builder. */
  public static <T> Setting<T> ofBuilder(SettingKey key, T value) {
    return new Setting<>(key, value, SettingSource.BUILDER);
  }
}
