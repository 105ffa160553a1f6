package io.ratelimit.settings;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/** The parsers every setting uses, so each kind of value is accepted the same way everywhere. */
public final class ValueParsers {
  private static final Set<String> TRUE = Set.of("true", "1", "yes");
  private static final Set<String> FALSE = Set.of("false", "0", "no");

  private ValueParsers() {}

  /** true/false/1/0/yes/no, in any case. */
  public static ValueParser<Boolean> bool() {
    return new ValueParser<>() {
      @Override
      public Boolean parse(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (TRUE.contains(t)) {
          return true;
        }
        if (FALSE.contains(t)) {
          return false;
        }
        throw new IllegalArgumentException();
      }

      @Override
      public String accepted() {
        return "true, false, 1, 0, yes or no (any case)";
      }
    };
  }

  /** A whole number from {@code min} to {@code max}. */
  public static ValueParser<Integer> integer(int min, int max) {
    return new ValueParser<>() {
      @Override
      public Integer parse(String text) {
        int value = Integer.parseInt(text);
        if (value < min || value > max) {
          throw new IllegalArgumentException();
        }
        return value;
      }

      @Override
      public String accepted() {
        return "a whole number from " + min + " to " + max;
      }
    };
  }

  /** A decimal number of seconds from {@code min} to {@code max} (e.g. {@code 0.25}), as a duration. */
  public static ValueParser<Duration> seconds(double min, double max) {
    return new ValueParser<>() {
      @Override
      public Duration parse(String text) {
        BigDecimal seconds = decimal(text);
        if (seconds.compareTo(BigDecimal.valueOf(min)) < 0 || seconds.compareTo(BigDecimal.valueOf(max)) > 0) {
          throw new IllegalArgumentException();
        }
        return Duration.ofNanos(seconds.movePointRight(9).longValue());
      }

      @Override
      public String accepted() {
        return "a number of seconds from " + plain(min) + " to " + plain(max) + " (decimals allowed, e.g. 0.25)";
      }
    };
  }

  /** A decimal fraction from {@code min} to {@code max}, e.g. {@code 0.1}. */
  public static ValueParser<Double> fraction(double min, double max) {
    return new ValueParser<>() {
      @Override
      public Double parse(String text) {
        BigDecimal value = decimal(text);
        if (value.compareTo(BigDecimal.valueOf(min)) < 0 || value.compareTo(BigDecimal.valueOf(max)) > 0) {
          throw new IllegalArgumentException();
        }
        return value.doubleValue();
      }

      @Override
      public String accepted() {
        return "a decimal number from " + plain(min) + " to " + plain(max);
      }
    };
  }

  /** Plain decimal notation only: no NaN, Infinity, hex or exponent, so junk never slips through. */
  private static BigDecimal decimal(String text) {
    if (!text.matches("[+]?[0-9]{1,12}(\\.[0-9]{1,9})?|[+]?\\.[0-9]{1,9}")) {
      throw new IllegalArgumentException();
    }
    return new BigDecimal(text);
  }

  private static String plain(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }
}
