package io.ratelimit.settings;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads typed settings from a {@link SettingsSource}, collecting every problem so that start-up fails
 * once, with all bad values named, instead of at the first one.
 */
public final class SettingsReader {
  private final SettingsSource source;
  private final List<String> problems = new ArrayList<>();

  /** @param source where raw values are looked up */
  public SettingsReader(SettingsSource source) {
    this.source = source;
  }

  /** The setting's value from the source, or {@code defaultValue}; a bad value is recorded as a problem. */
  public <T> Setting<T> read(SettingKey key, T defaultValue, ValueParser<T> parser) {
    return readOptional(key, parser).orElseGet(() -> new Setting<>(key, defaultValue, SettingSource.DEFAULT));
  }

  /** The setting's value if set and valid; empty if unset or bad (a bad value is recorded as a problem). */
  public <T> Optional<Setting<T>> readOptional(SettingKey key, ValueParser<T> parser) {
    Optional<RawSetting> raw = source.lookup(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    String text = raw.get().text().trim();
    if (!text.isEmpty()) {
      try {
        return Optional.of(new Setting<>(key, parser.parse(text), raw.get().source()));
      } catch (IllegalArgumentException notAccepted) {
        // fall through to the problem report
      }
    }
    reject(raw.get(), parser.accepted());
    return Optional.empty();
  }

  /**
   * A secret (a password-like value), from the environment only: a {@code -D} property shows in the process
   * list and one in a properties file sits in the repository, so a property is a problem. A bad value is
   * a problem that names the variable and what is accepted, never the value. Unset, or set but empty (a
   * CI secret store gives an empty value for a secret it does not have, e.g. to a pull request from a
   * fork), is empty with no problem: the caller decides whether it was needed ({@link #missing}).
   */
  public <T> Optional<Setting<T>> readSecret(SettingKey key, ValueParser<T> parser) {
    Optional<RawSetting> raw = source.lookup(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    if (raw.get().source() != SettingSource.ENVIRONMENT) {
      problems.add(key.environment() + " must not be given as property " + key.property() + " (a -D option shows in the "
          + "process list, a properties file sits in the repository; the value is not shown): pass it as the environment "
          + "variable " + key.environment() + ", from the CI's secret store");
      return Optional.empty();
    }
    String text = raw.get().text().trim();
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Setting<>(key, parser.parse(text), SettingSource.ENVIRONMENT));
    } catch (IllegalArgumentException notAccepted) {
      problems.add("invalid value (not shown: it is a secret) for environment variable " + key.environment() + ": expected "
          + parser.accepted());
      return Optional.empty();
    }
  }

  /** Records that {@code key}, which the other settings need, is not set (or is empty). */
  public void missing(SettingKey key, String needed) {
    problems.add("environment variable " + key.environment() + " is not set: expected " + needed);
  }

  /** Records a problem with a raw value that parsed but is not acceptable with the others. */
  public void reject(RawSetting raw, String accepted) {
    problems.add(describeProblem(raw, accepted));
  }

  /** Records a problem with a value that parsed but is not acceptable together with the others. */
  public void reject(Setting<?> setting, String valueText, String accepted) {
    if (setting.source() == SettingSource.BUILDER) {
      problems.add("invalid value '" + valueText + "' set in code for " + setting.key().property() + ": expected " + accepted);
    } else if (setting.source() == SettingSource.DEFAULT) {
      problems.add("the default of " + setting.key() + " (" + valueText + ") does not fit the other settings: expected " + accepted);
    } else {
      problems.add(describeProblem(new RawSetting(setting.key(), valueText, setting.source()), accepted));
    }
  }

  /** Throws {@link InvalidSettingsException} naming every problem found so far, if any. */
  public void throwIfInvalid() {
    if (!problems.isEmpty()) {
      throw new InvalidSettingsException(problems);
    }
  }

  private static String describeProblem(RawSetting raw, String accepted) {
    String where = raw.source() == SettingSource.ENVIRONMENT
        ? "environment variable " + raw.key().environment() + " (or property " + raw.key().property() + ")"
        : "property " + raw.key().property() + " (or environment variable " + raw.key().environment() + ")";
    return "invalid value '" + printable(raw.text()) + "' for " + where + ": expected " + accepted;
  }

  /** Shows control characters and truncates huge values so the message stays one readable line. */
  private static String printable(String text) {
    String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
    StringBuilder out = new StringBuilder();
    shown.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }
}
