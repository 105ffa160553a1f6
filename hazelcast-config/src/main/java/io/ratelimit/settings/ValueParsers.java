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

  /** One of {@code choices} (any case), as its enum constant. */
  public static <E extends Enum<E>> ValueParser<E> choice(Class<E> type) {
    return new ValueParser<>() {
      @Override
      public E parse(String text) {
        return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
      }

      @Override
      public String accepted() {
        return "one of " + java.util.Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.joining(", "));
      }
    };
  }

  /** Text matching {@code pattern}, described as {@code accepted}. */
  public static ValueParser<String> matching(String pattern, String accepted) {
    java.util.regex.Pattern compiled = java.util.regex.Pattern.compile(pattern);
    return new ValueParser<>() {
      @Override
      public String parse(String text) {
        if (!compiled.matcher(text).matches()) {
          throw new IllegalArgumentException();
        }
        return text;
      }

      @Override
      public String accepted() {
        return accepted;
      }
    };
  }

  /**
   * A comma-separated list of {@code host[:port]} addresses (host names, IPv4, or IPv6 in brackets);
   * ports from 1 to 65535.
   */
  public static ValueParser<java.util.List<String>> addresses() {
    java.util.regex.Pattern address = java.util.regex.Pattern.compile(
        "(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))(:([0-9]{1,5}))?");
    return new ValueParser<>() {
      @Override
      public java.util.List<String> parse(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String part : text.split(",", -1)) {
          String a = part.trim();
          java.util.regex.Matcher m = address.matcher(a);
          if (!m.matches() || (m.group(4) != null && (Integer.parseInt(m.group(4)) < 1 || Integer.parseInt(m.group(4)) > 65535))) {
            throw new IllegalArgumentException();
          }
          out.add(a);
        }
        return java.util.List.copyOf(out);
      }

      @Override
      public String accepted() {
        return "a comma-separated list of host[:port] addresses, e.g. 10.0.0.5:5801,10.0.0.6:5801";
      }
    };
  }
}
