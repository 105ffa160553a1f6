package io.ratelimit.core.internal.pacing;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Headers;

/**
 * Reads the rate-limit headers of one response into {@link Quota}s: how many requests the API will still
 * take, and when that allowance comes back. Pure: no I/O, no clock of its own (the caller passes the
 * arrival time {@code now}).
 *
 * <p>Dialects, tried in this order; the first that yields a usable quota wins, and the others are not read:
 *
 * <ol>
 *   <li>{@link Dialect#IETF} (draft-ietf-httpapi-ratelimit-headers -08 to -11): {@code RateLimit:
 *       "default";r=50;t=30} with {@code RateLimit-Policy: "default";q=100;w=60}, Structured Field Lists
 *       (RFC 9651) of String items with parameters; {@code r} remaining, {@code t} seconds until more quota
 *       comes back, {@code q} quota, {@code w} window in seconds. Items are matched to policies by name;
 *       a policy whose {@code qu} is not {@code "requests"} (content-bytes, concurrent-requests) is not a
 *       request quota and is skipped.
 *   <li>{@link Dialect#IETF_07} (draft -07): {@code RateLimit: limit=100, remaining=50, reset=30}, a
 *       Dictionary, with {@code RateLimit-Policy: 100;w=60}.
 *   <li>{@link Dialect#IETF_SEPARATE} (drafts -00 to -06): {@code RateLimit-Limit: 100} (or {@code 100,
 *       100;w=60} with quota policies after the limit), {@code RateLimit-Remaining}, {@code RateLimit-Reset}.
 *   <li>{@link Dialect#X_RATELIMIT}: {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining},
 *       {@code X-RateLimit-Reset} (GitHub: epoch seconds; Envoy and many gateways: seconds to wait; Discord:
 *       epoch seconds with a fraction), {@code X-RateLimit-Reset-After} (Discord: seconds to wait, preferred
 *       over {@code -Reset} when both come, since it needs no clock agreement). The limit may be a plain
 *       number or the draft's list form ({@code 10, 10;w=1}, as Envoy sends it).
 *   <li>{@link Dialect#X_RATELIMIT_REQUESTS}: {@code x-ratelimit-limit-requests},
 *       {@code -remaining-requests}, {@code -reset-requests} (OpenAI; reset as a duration like {@code 6m0s}).
 * </ol>
 *
 * <p>Reset values. A reset is a number of seconds (integer or with up to 9 decimals) or a duration with
 * units ({@code 1s}, {@code 6m0s}, {@code 12ms}). A number R is read as <b>epoch seconds</b> when it lies
 * within {@link #EPOCH_PLAUSIBILITY} (5 years) of {@code now}, as <b>seconds to wait</b> when it is smaller
 * than that (or no more than 5 years' worth of seconds), and is absurd (the dialect is ignored) when it is
 * larger. The rule holds in every dialect: real
 * waits are seconds to days, far below the epoch range (over 1.5e9 since 2017), and a real epoch reset is
 * within one window of {@code now}. An epoch reset already past means the window has reset: the quota's reset
 * is {@code now}. Every reset is capped at {@code now + maxWait} ({@code PYTEST_MAX_BACKOFF}), as the draft
 * asks clients to bound what servers say (draft -10, 8.5.1). When a dialect gives no reset at all (the draft
 * allows {@code r} without {@code t}), the policy's window is used, else {@code maxWait}: the most
 * conservative guess within the bound.
 *
 * <p>Ignored (the dialect yields nothing): malformed fields (draft: "Malformed RateLimit header fields MUST
 * be ignored"), negative numbers, numbers beyond Structured Fields' integer range (15 digits), resets in the
 * absurd range. A malformed {@code RateLimit-Policy} alone only loses the limit and window (it is
 * informative). Responses from a cache ({@code Age} above 0) give nothing: their counts are stale (draft
 * -10, 7.3). {@code Retry-After} is not read here; when a response has it, it takes precedence over these
 * fields (draft -10, section 7).
 *
 * <p>Header names are case-insensitive: {@link Headers} is; a {@code Function} lookup must be too, and must
 * return every field line of a name joined with {@code ", "} (how Structured Field Lists are combined), or
 * null when absent.
 */
public final class RateLimitHeaders {
  /** Structured Fields' integer range (RFC 9651, 3.3.1): 15 digits; larger numbers are malformed. */
  static final long MAX_INTEGER = 999_999_999_999_999L;
  /** A reset number within this much of {@code now} is epoch seconds; below that, seconds to wait. */
  static final Duration EPOCH_PLAUSIBILITY = Duration.ofDays(5 * 365);

  private static final Pattern SECONDS = Pattern.compile("[0-9]{1,15}(\\.[0-9]{1,9})?");
  private static final Pattern DURATION = Pattern.compile("(?:[0-9]{1,9}(?:\\.[0-9]{1,9})?(?:h|m|s|ms|us|µs|ns))+");
  private static final Pattern DURATION_PART = Pattern.compile("([0-9]{1,9}(?:\\.[0-9]{1,9})?)(h|ms|m|s|us|µs|ns)");

  private RateLimitHeaders() {}

  /** Where a quota was read from. */
  public enum Dialect {
    /** draft-ietf-httpapi-ratelimit-headers -08 and later: {@code RateLimit} / {@code RateLimit-Policy} Lists. */
    IETF,
    /** draft -07: {@code RateLimit: limit=.., remaining=.., reset=..}. */
    IETF_07,
    /** drafts -00 to -06: {@code RateLimit-Limit}, {@code -Remaining}, {@code -Reset}. */
    IETF_SEPARATE,
    /** {@code X-RateLimit-Limit}, {@code -Remaining}, {@code -Reset}, {@code -Reset-After}. */
    X_RATELIMIT,
    /** {@code x-ratelimit-limit-requests}, {@code -remaining-requests}, {@code -reset-requests} (OpenAI). */
    X_RATELIMIT_REQUESTS
  }

  /**
   * What one quota policy allows from now on.
   *
   * @param dialect the headers it was read from
   * @param policy the policy's name ({@code RateLimit: "name";..}), else a name for the dialect's single quota
   * @param remaining requests the API will still take before {@code reset} (a hint, not a guarantee)
   * @param reset when more quota comes back, never after {@code now + maxWait}
   * @param limit the quota per window, when the headers say it
   * @param window the window's length, when the headers say it
   */
  public record Quota(Dialect dialect, String policy, long remaining, Instant reset, OptionalLong limit, Optional<Duration> window) {
    /** Checks the invariants the parser guarantees. */
    public Quota {
      Objects.requireNonNull(dialect, "dialect");
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(reset, "reset");
      Objects.requireNonNull(limit, "limit");
      Objects.requireNonNull(window, "window");
      if (remaining < 0) {
        throw new IllegalArgumentException("remaining must be >= 0, got " + remaining);
      }
    }

    /** True when the quota is spent until {@link #reset()}. */
    public boolean exhausted() {
      return remaining == 0;
    }

    /** Time from {@code now} until {@link #reset()}, never negative. */
    public Duration untilReset(Instant now) {
      Duration d = Duration.between(now, reset);
      return d.isNegative() ? Duration.ZERO : d;
    }
  }

  /**
   * The most restrictive quota the response's headers give, or empty.
   *
   * @param headers the response's headers
   * @param now when the response arrived
   * @param maxWait cap on how far ahead a reset may lie ({@code PYTEST_MAX_BACKOFF}); zero or more
   */
  public static Optional<Quota> parse(Headers headers, Instant now, Duration maxWait) {
    return mostRestrictive(quotas(headers, now, maxWait), now);
  }

  /** {@link #parse(Headers, Instant, Duration)} on a header lookup (case-insensitive, field lines joined with ", "). */
  public static Optional<Quota> parse(Function<String, String> header, Instant now, Duration maxWait) {
    return mostRestrictive(quotas(header, now, maxWait), now);
  }

  /** Every quota the first usable dialect gives (several when the API lists several policies), or none. */
  public static List<Quota> quotas(Headers headers, Instant now, Duration maxWait) {
    Objects.requireNonNull(headers, "headers");
    return quotas(name -> {
      List<String> values = headers.values(name);
      return values.isEmpty() ? null : String.join(", ", values);
    }, now, maxWait);
  }

  /** {@link #quotas(Headers, Instant, Duration)} on a header lookup (case-insensitive, field lines joined with ", "). */
  public static List<Quota> quotas(Function<String, String> header, Instant now, Duration maxWait) {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must be zero or more, got " + maxWait);
    }
    Optional<Long> age = plainInteger(header.apply("Age"));
    if (age.isPresent() && age.get() > 0) {
      return List.of(); // from a cache: the counts are stale
    }
    Reader reader = new Reader(header, now, maxWait);
    List<Quota> found = reader.ietf();
    if (found.isEmpty()) {
      found = reader.ietf07();
    }
    if (found.isEmpty()) {
      found = reader.separate(Dialect.IETF_SEPARATE, "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", null);
    }
    if (found.isEmpty()) {
      found = reader.separate(Dialect.X_RATELIMIT, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
          "X-RateLimit-Reset-After");
    }
    if (found.isEmpty()) {
      found = reader.separate(Dialect.X_RATELIMIT_REQUESTS, "X-RateLimit-Limit-Requests", "X-RateLimit-Remaining-Requests",
          "X-RateLimit-Reset-Requests", null);
    }
    return found;
  }

  /**
   * The quota that binds first: a spent one (the latest reset among them), else the one with the fewest
   * requests left per second until its reset (remaining / time left). Sending at that pace keeps within
   * every other policy too, since each of them allows at least that pace until its own reset; it is the
   * policy that runs out first at the fastest pace all policies allow. Ties: fewer remaining, then the
   * later reset.
   */
  public static Optional<Quota> mostRestrictive(List<Quota> quotas, Instant now) {
    if (quotas.size() < 2) { // the usual case, and no comparator to build on every response (its lambdas cost the first one)
      return quotas.stream().findFirst();
    }
    Comparator<Quota> order = Comparator.<Quota>comparingInt(q -> q.exhausted() ? 0 : 1)
        .thenComparingDouble(q -> q.exhausted() ? -seconds(q.untilReset(now)) : 0)
        .thenComparingDouble(q -> q.remaining() / Math.max(seconds(q.untilReset(now)), 1e-3))
        .thenComparingLong(Quota::remaining)
        .thenComparingDouble(q -> -seconds(q.untilReset(now)));
    return quotas.stream().min(order);
  }

  private static double seconds(Duration d) {
    return d.getSeconds() + d.getNano() / 1e9;
  }

  /** Reads one response's fields, dialect by dialect. */
  private static final class Reader {
    private final Function<String, String> header;
    private final Instant now;
    private final Duration maxWait;

    Reader(Function<String, String> header, Instant now, Duration maxWait) {
      this.header = header;
      this.now = now;
      this.maxWait = maxWait;
    }

    /** draft -08 and later: a List of String items with r (and t), policies matched by name. */
    List<Quota> ietf() {
      Optional<List<Object>> limits = StructuredFields.list(header.apply("RateLimit"));
      if (limits.isEmpty() || limits.get().isEmpty()) {
        return List.of();
      }
      Map<String, StructuredFields.Item> policies = new LinkedHashMap<>();
      for (Object member : StructuredFields.list(header.apply("RateLimit-Policy")).orElse(List.of())) {
        if (member instanceof StructuredFields.Item item && item.value() instanceof String name
            && nonNegative(item.params().get("q")).isPresent()) {
          policies.putIfAbsent(name, item);
        }
      }
      List<Quota> out = new ArrayList<>();
      for (Object member : limits.get()) {
        if (!(member instanceof StructuredFields.Item item) || !(item.value() instanceof String name)) {
          return List.of(); // not this dialect (draft -07's Dictionary), or malformed
        }
        Optional<Long> remaining = nonNegative(item.params().get("r"));
        Object t = item.params().get("t");
        Optional<Duration> untilReset = t == null ? Optional.empty() : nonNegative(t).flatMap(this::resetNumber);
        if (remaining.isEmpty() || (t != null && untilReset.isEmpty())) {
          return List.of(); // malformed: the whole field is ignored
        }
        StructuredFields.Item policy = policies.get(name);
        if (policy != null && policy.params().containsKey("qu") && !"requests".equals(policy.params().get("qu"))) {
          continue; // bytes or concurrency, not a request quota
        }
        OptionalLong limit = policy == null ? OptionalLong.empty() : optionalLong(nonNegative(policy.params().get("q")));
        Optional<Duration> window = policy == null ? Optional.empty() : window(policy.params().get("w"));
        out.add(quota(Dialect.IETF, name, remaining.get(), untilReset, limit, window));
      }
      return out;
    }

    /** draft -07: {@code RateLimit: limit=100, remaining=50, reset=30}; {@code RateLimit-Policy: 100;w=60}. */
    List<Quota> ietf07() {
      Optional<Map<String, Object>> fields = StructuredFields.dictionary(header.apply("RateLimit"));
      if (fields.isEmpty()) {
        return List.of();
      }
      Optional<Long> limit = itemNumber(fields.get().get("limit"));
      Optional<Long> remaining = itemNumber(fields.get().get("remaining"));
      Optional<Duration> untilReset = itemNumber(fields.get().get("reset")).flatMap(this::resetNumber);
      if (limit.isEmpty() || remaining.isEmpty() || untilReset.isEmpty()) {
        return List.of(); // limit and reset are required; without remaining there is nothing to pace by
      }
      Optional<Duration> window = integerPolicyWindow(StructuredFields.list(header.apply("RateLimit-Policy")).orElse(List.of()), limit.get());
      return List.of(quota(Dialect.IETF_07, "default", remaining.get(), untilReset, OptionalLong.of(limit.get()), window));
    }

    /**
     * One quota from separate fields: a limit (a number, or the drafts' list: the limit first, then quota
     * policies {@code N;w=W}), the remaining count, and a reset (a number or a duration).
     */
    List<Quota> separate(Dialect dialect, String limitName, String remainingName, String resetName, String resetAfterName) {
      String remainingValue = header.apply(remainingName);
      if (remainingValue == null) {
        return List.of();
      }
      Optional<Long> remaining = plainInteger(remainingValue);
      if (remaining.isEmpty()) {
        return List.of();
      }
      Optional<Duration> untilReset = Optional.empty();
      String resetAfter = resetAfterName == null ? null : header.apply(resetAfterName);
      String reset = header.apply(resetName);
      if (resetAfter != null) {
        untilReset = delay(resetAfter);
        if (untilReset.isEmpty()) {
          return List.of();
        }
      } else if (reset != null) {
        untilReset = resetValue(reset);
        if (untilReset.isEmpty()) {
          return List.of();
        }
      }
      OptionalLong limit = OptionalLong.empty();
      Optional<Duration> window = Optional.empty();
      String limitValue = header.apply(limitName);
      if (limitValue != null) {
        Optional<Long> plain = plainInteger(limitValue);
        if (plain.isPresent()) {
          limit = OptionalLong.of(plain.get());
        } else {
          List<Object> members = StructuredFields.list(limitValue).orElse(List.of());
          Optional<Long> first = members.isEmpty() ? Optional.empty() : itemNumber(members.get(0));
          if (first.isPresent()) {
            limit = OptionalLong.of(first.get());
            window = integerPolicyWindow(members.subList(1, members.size()), first.get());
          } // a junk limit only loses the limit: remaining and reset are what pacing needs
        }
      }
      if (window.isEmpty() && dialect == Dialect.IETF_SEPARATE && limit.isPresent()) {
        window = integerPolicyWindow(StructuredFields.list(header.apply("RateLimit-Policy")).orElse(List.of()), limit.getAsLong());
      }
      String name = dialect == Dialect.X_RATELIMIT_REQUESTS ? "requests" : "default";
      return List.of(quota(dialect, name, remaining.get(), untilReset, limit, window));
    }

    private Quota quota(Dialect dialect, String name, long remaining, Optional<Duration> untilReset, OptionalLong limit,
        Optional<Duration> window) {
      Duration wait = untilReset.orElseGet(() -> window.orElse(maxWait)); // no reset given: a window at most
      return new Quota(dialect, name, remaining, now.plus(wait.compareTo(maxWait) > 0 ? maxWait : wait), limit, window);
    }

    /** A reset as text: seconds (epoch or delay, see the class comment) or a duration with units. */
    private Optional<Duration> resetValue(String value) {
      String v = single(value);
      if (v == null) {
        return Optional.empty();
      }
      if (SECONDS.matcher(v).matches()) {
        BigDecimal seconds = new BigDecimal(v);
        BigDecimal nowSeconds = BigDecimal.valueOf(now.getEpochSecond()).add(BigDecimal.valueOf(now.getNano(), 9));
        BigDecimal plausibility = BigDecimal.valueOf(EPOCH_PLAUSIBILITY.getSeconds());
        // an epoch also exceeds the plausibility span itself: a small number is a delay even under a clock near 1970
        if (seconds.compareTo(plausibility) > 0 && seconds.subtract(nowSeconds).abs().compareTo(plausibility) <= 0) {
          Duration d = Duration.ofNanos(seconds.subtract(nowSeconds).movePointRight(9).longValue());
          return Optional.of(d.isNegative() ? Duration.ZERO : d); // epoch seconds; past: already reset
        }
        return seconds.compareTo(nowSeconds) < 0 || seconds.compareTo(plausibility) <= 0
            ? Optional.of(secondsToDuration(seconds)) : Optional.empty(); // beyond now + 5 years: absurd
      }
      return duration(v);
    }

    /** An integer reset from a Structured Field: epoch or delay by the same rule. */
    private Optional<Duration> resetNumber(long seconds) {
      return resetValue(Long.toString(seconds));
    }

    /** A delay (never an epoch): seconds, possibly fractional, or a duration with units. */
    private Optional<Duration> delay(String value) {
      String v = single(value);
      if (v == null) {
        return Optional.empty();
      }
      return SECONDS.matcher(v).matches() ? Optional.of(secondsToDuration(new BigDecimal(v))) : duration(v);
    }
  }

  private static Duration secondsToDuration(BigDecimal seconds) {
    BigDecimal nanos = seconds.movePointRight(9);
    // 15 digits of seconds fit in a Duration; the cap brings it down to maxWait anyway
    return Duration.ofSeconds(seconds.longValue(), nanos.remainder(BigDecimal.valueOf(1_000_000_000L)).longValue());
  }

  /** Go-style durations as OpenAI sends them: {@code 1s}, {@code 6m0s}, {@code 12ms}, {@code 1h2m3.5s}. */
  static Optional<Duration> duration(String v) {
    if (!DURATION.matcher(v).matches()) {
      return Optional.empty();
    }
    Duration total = Duration.ZERO;
    Matcher part = DURATION_PART.matcher(v);
    while (part.find()) {
      BigDecimal amount = new BigDecimal(part.group(1));
      BigDecimal nanos = switch (part.group(2)) {
        case "h" -> amount.multiply(BigDecimal.valueOf(3_600_000_000_000L));
        case "m" -> amount.multiply(BigDecimal.valueOf(60_000_000_000L));
        case "s" -> amount.multiply(BigDecimal.valueOf(1_000_000_000L));
        case "ms" -> amount.multiply(BigDecimal.valueOf(1_000_000L));
        case "us", "µs" -> amount.multiply(BigDecimal.valueOf(1_000L));
        default -> amount;
      };
      total = total.plus(Duration.ofSeconds(nanos.movePointLeft(9).longValue(), nanos.remainder(BigDecimal.valueOf(1_000_000_000L)).longValue()));
    }
    return Optional.of(total);
  }

  /** One value, or the same value repeated by a proxy ({@code "5, 5"}); null when junk or differing. */
  private static String single(String value) {
    if (value == null) {
      return null;
    }
    String first = null;
    for (String part : value.split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty() || (first != null && !first.equals(p))) {
        return null;
      }
      first = p;
    }
    return first;
  }

  /** A non-negative integer of at most 15 digits, as a plain header value. */
  static Optional<Long> plainInteger(String value) {
    String v = single(value);
    return v != null && v.matches("[0-9]{1,15}") ? Optional.of(Long.parseLong(v)) : Optional.empty();
  }

  private static Optional<Long> nonNegative(Object value) {
    return value instanceof Long l && l >= 0 ? Optional.of(l) : Optional.empty();
  }

  /** A dictionary member or list member that is a bare non-negative Integer (its parameters ignored). */
  private static Optional<Long> itemNumber(Object member) {
    return member instanceof StructuredFields.Item item ? nonNegative(item.value()) : Optional.empty();
  }

  private static OptionalLong optionalLong(Optional<Long> value) {
    return value.map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  /** A window parameter: a positive Integer of seconds, not absurdly long. */
  private static Optional<Duration> window(Object w) {
    return nonNegative(w).filter(s -> s > 0 && s <= EPOCH_PLAUSIBILITY.getSeconds()).map(Duration::ofSeconds);
  }

  /** The drafts' quota policies before -08 ({@code 100;w=60}): the window of the one whose quota is {@code limit}. */
  private static Optional<Duration> integerPolicyWindow(List<Object> members, long limit) {
    for (Object member : members) {
      if (member instanceof StructuredFields.Item item && Long.valueOf(limit).equals(item.value())) {
        Optional<Duration> w = window(item.params().get("w"));
        if (w.isPresent()) {
          return w;
        }
      }
    }
    return Optional.empty();
  }

  /**
   * A parser for Structured Field Lists and Dictionaries (RFC 9651, section 4.2), strict as the RFC asks:
   * anything malformed gives empty. Values: Long (Integer), BigDecimal (Decimal), String, {@link Token},
   * byte[] (Byte Sequence), Boolean, {@link Date}, {@link DisplayString}; an Inner List is a
   * {@code List<Item>} inside an {@link Item}.
   */
  static final class StructuredFields {
    /** A bare item or inner list with its parameters, in order. */
    record Item(Object value, Map<String, Object> params) {}

    /** A Token ({@code foo}, unquoted). */
    record Token(String name) {}

    /** A Date ({@code @1659578233}). */
    record Date(long epochSeconds) {}

    /** A Display String ({@code %"caf%c3%a9"}). */
    record DisplayString(String value) {}

    private static final class Malformed extends Exception {
      private static final long serialVersionUID = 1L;

      Malformed() {
        super(null, null, false, false); // control flow only
      }
    }

    private final String in;
    private int pos;

    private StructuredFields(String in) {
      this.in = in;
    }

    /** A List: members are {@link Item}s; empty when the field is absent or malformed. */
    static Optional<List<Object>> list(String field) {
      if (field == null) {
        return Optional.empty();
      }
      StructuredFields p = new StructuredFields(field.strip());
      try {
        List<Object> members = new ArrayList<>();
        while (!p.atEnd()) {
          members.add(p.itemOrInnerList());
          if (p.endOfMember()) {
            break;
          }
        }
        return Optional.of(members);
      } catch (Malformed e) {
        return Optional.empty();
      }
    }

    /** A Dictionary: values are {@link Item}s, in order; empty when the field is absent or malformed. */
    static Optional<Map<String, Object>> dictionary(String field) {
      if (field == null) {
        return Optional.empty();
      }
      StructuredFields p = new StructuredFields(field.strip());
      try {
        Map<String, Object> members = new LinkedHashMap<>();
        while (!p.atEnd()) {
          String key = p.key();
          Object member;
          if (p.peek() == '=') {
            p.pos++;
            member = p.itemOrInnerList();
          } else {
            member = new Item(Boolean.TRUE, p.parameters());
          }
          members.remove(key);
          members.put(key, member); // a repeated key: the last value wins (RFC 9651, 4.2.2)
          if (p.endOfMember()) {
            break;
          }
        }
        return Optional.of(members);
      } catch (Malformed e) {
        return Optional.empty();
      }
    }

    private boolean atEnd() {
      return pos >= in.length();
    }

    private char peek() {
      return atEnd() ? '\0' : in.charAt(pos);
    }

    /** After a member: the end (true), or a comma and another member (false). */
    private boolean endOfMember() throws Malformed {
      skipOws();
      if (atEnd()) {
        return true;
      }
      if (in.charAt(pos++) != ',') {
        throw new Malformed();
      }
      skipOws();
      if (atEnd()) {
        throw new Malformed(); // a trailing comma
      }
      return false;
    }

    private void skipOws() {
      while (!atEnd() && (in.charAt(pos) == ' ' || in.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private void skipSp() {
      while (!atEnd() && in.charAt(pos) == ' ') {
        pos++;
      }
    }

    private Item itemOrInnerList() throws Malformed {
      if (peek() != '(') {
        Object value = bareItem();
        return new Item(value, parameters());
      }
      pos++;
      List<Item> items = new ArrayList<>();
      while (true) {
        skipSp();
        if (atEnd()) {
          throw new Malformed();
        }
        if (peek() == ')') {
          pos++;
          return new Item(items, parameters());
        }
        Object value = bareItem();
        items.add(new Item(value, parameters()));
        if (peek() != ' ' && peek() != ')') {
          throw new Malformed();
        }
      }
    }

    private Map<String, Object> parameters() throws Malformed {
      Map<String, Object> params = new LinkedHashMap<>();
      while (peek() == ';') {
        pos++;
        skipSp();
        String key = key();
        Object value = Boolean.TRUE;
        if (peek() == '=') {
          pos++;
          value = bareItem();
        }
        params.remove(key);
        params.put(key, value);
      }
      return params;
    }

    private String key() throws Malformed {
      char c = peek();
      if (!(c >= 'a' && c <= 'z') && c != '*') {
        throw new Malformed();
      }
      int start = pos;
      while (!atEnd()) {
        c = in.charAt(pos);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*') {
          pos++;
        } else {
          break;
        }
      }
      return in.substring(start, pos);
    }

    private Object bareItem() throws Malformed {
      char c = peek();
      if (c == '-' || (c >= '0' && c <= '9')) {
        return number();
      }
      if (c == '"') {
        return string();
      }
      if (c == '*' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return token();
      }
      if (c == ':') {
        return byteSequence();
      }
      if (c == '?') {
        pos++;
        char b = peek();
        pos++;
        if (b == '1') {
          return Boolean.TRUE;
        }
        if (b == '0') {
          return Boolean.FALSE;
        }
        throw new Malformed();
      }
      if (c == '@') {
        pos++;
        if (!(number() instanceof Long seconds)) {
          throw new Malformed();
        }
        return new Date(seconds);
      }
      if (c == '%') {
        return displayString();
      }
      throw new Malformed();
    }

    private Object number() throws Malformed {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      int digitsStart = pos;
      while (!atEnd() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
        pos++;
      }
      int intDigits = pos - digitsStart;
      if (intDigits == 0) {
        throw new Malformed();
      }
      if (peek() != '.') {
        if (intDigits > 15) {
          throw new Malformed();
        }
        return Long.parseLong(in.substring(start, pos));
      }
      if (intDigits > 12) {
        throw new Malformed();
      }
      pos++;
      int fracStart = pos;
      while (!atEnd() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
        pos++;
      }
      int fracDigits = pos - fracStart;
      if (fracDigits < 1 || fracDigits > 3) {
        throw new Malformed();
      }
      return new BigDecimal(in.substring(start, pos));
    }

    private String string() throws Malformed {
      pos++;
      StringBuilder out = new StringBuilder();
      while (!atEnd()) {
        char c = in.charAt(pos++);
        if (c == '\\') {
          char next = peek();
          pos++;
          if (next != '"' && next != '\\') {
            throw new Malformed();
          }
          out.append(next);
        } else if (c == '"') {
          return out.toString();
        } else if (c < 0x20 || c > 0x7e) {
          throw new Malformed();
        } else {
          out.append(c);
        }
      }
      throw new Malformed(); // unterminated
    }

    private Token token() {
      int start = pos;
      while (!atEnd()) {
        char c = in.charAt(pos);
        boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || "!#$%&'*+-.^_`|~:/".indexOf(c) >= 0;
        if (!tchar) {
          break;
        }
        pos++;
      }
      return new Token(in.substring(start, pos));
    }

    private byte[] byteSequence() throws Malformed {
      pos++;
      int end = in.indexOf(':', pos);
      if (end < 0) {
        throw new Malformed();
      }
      String b64 = in.substring(pos, end);
      if (!b64.matches("[A-Za-z0-9+/=]*")) {
        throw new Malformed();
      }
      pos = end + 1;
      try {
        return Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        throw new Malformed();
      }
    }

    private DisplayString displayString() throws Malformed {
      pos++;
      if (peek() != '"') {
        throw new Malformed();
      }
      pos++;
      ByteBuffer bytes = ByteBuffer.allocate(in.length());
      while (!atEnd()) {
        char c = in.charAt(pos++);
        if (c == '%') {
          if (pos + 2 > in.length() || !in.substring(pos, pos + 2).matches("[0-9a-f]{2}")) {
            throw new Malformed();
          }
          bytes.put((byte) Integer.parseInt(in.substring(pos, pos + 2), 16));
          pos += 2;
        } else if (c == '"') {
          bytes.flip();
          try {
            return new DisplayString(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString());
          } catch (CharacterCodingException e) {
            throw new Malformed();
          }
        } else if (c < 0x20 || c > 0x7e) {
          throw new Malformed();
        } else {
          bytes.put((byte) c);
        }
      }
      throw new Malformed();
    }
  }
}
