package io.ratelimit.settings;

/**
 * A setting as the user wrote it, before parsing.
 *
 * @param key the setting
 * @param text the text exactly as found
 * @param source where it was found
 */
public record RawSetting(SettingKey key, String text, SettingSource source) {

  /** The name the user actually used: the environment variable or the property. */
  public String nameAsWritten() {
    return source == SettingSource.ENVIRONMENT ? key.environment() : key.property();
  }
}
