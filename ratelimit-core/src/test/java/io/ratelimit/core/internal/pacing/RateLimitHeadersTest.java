package io.ratelimit.core.internal.pacing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.internal.pacing.RateLimitHeaders.Dialect;
import io.ratelimit.core.internal.pacing.RateLimitHeaders.Quota;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import okhttp3.Headers;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RateLimitHeadersTest {
  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  private static final Duration MAX = Duration.ofSeconds(120);
  private static final Duration LONG_MAX = Duration.ofDays(2);

  private static Optional<Quota> parse(Duration maxWait, String... namesAndValues) {
    return RateLimitHeaders.parse(Headers.of(namesAndValues), NOW, maxWait);
  }

  private static Optional<Quota> parse(String... namesAndValues) {
    return parse(MAX, namesAndValues);
  }

  private static Quota only(String... namesAndValues) {
    return parse(namesAndValues).orElseThrow(() -> new AssertionError("no quota from " + List.of(namesAndValues)));
  }

  private static void assertQuota(Quota q, Dialect dialect, String policy, long remaining, Duration untilReset, OptionalLong limit,
      Optional<Duration> window) {
    assertEquals(dialect, q.dialect(), "dialect");
    assertEquals(policy, q.policy(), "policy");
    assertEquals(remaining, q.remaining(), "remaining");
    assertEquals(NOW.plus(untilReset), q.reset(), "reset");
    assertEquals(limit, q.limit(), "limit");
    assertEquals(window, q.window(), "window");
  }

  @Nested
  class Ietf {
    @Test
    void onePolicy() {
      Quota q = only("RateLimit-Policy", "\"default\";q=100;w=60", "RateLimit", "\"default\";r=50;t=30");
      assertQuota(q, Dialect.IETF, "default", 50, Duration.ofSeconds(30), OptionalLong.of(100), Optional.of(Duration.ofSeconds(60)));
      assertFalse(q.exhausted());
      assertEquals(Duration.ofSeconds(30), q.untilReset(NOW));
      assertEquals(Duration.ZERO, q.untilReset(NOW.plusSeconds(31)));
    }

    @Test
    void withoutPolicyField() {
      assertQuota(only("RateLimit", "\"default\";r=0;t=7"), Dialect.IETF, "default", 0, Duration.ofSeconds(7), OptionalLong.empty(),
          Optional.empty());
      assertTrue(only("RateLimit", "\"default\";r=0;t=7").exhausted());
    }

    @Test
    void severalPoliciesTheSlowestAllowanceWins() {
      Headers h = Headers.of("RateLimit-Policy", "\"burst\";q=100;w=60,\"daily\";q=1000;w=86400",
          "RateLimit", "\"burst\";r=50;t=30, \"daily\";r=100;t=3600");
      List<Quota> all = RateLimitHeaders.quotas(h, NOW, LONG_MAX);
      assertEquals(2, all.size());
      // burst allows 50 in 30 s (1.7/s), daily 100 in an hour (0.03/s): pacing by daily keeps within burst too
      Quota q = RateLimitHeaders.parse(h, NOW, LONG_MAX).orElseThrow();
      assertQuota(q, Dialect.IETF, "daily", 100, Duration.ofSeconds(3600), OptionalLong.of(1000), Optional.of(Duration.ofDays(1)));
    }

    @Test
    void aSpentPolicyWinsOverAnySlowOne() {
      Quota q = RateLimitHeaders.parse(Headers.of("RateLimit", "\"burst\";r=0;t=10,\"daily\";r=5;t=80000,\"hourly\";r=0;t=20"),
          NOW, LONG_MAX).orElseThrow();
      assertEquals("hourly", q.policy(), "of the spent ones, the one that comes back last");
      assertTrue(q.exhausted());
    }

    @Test
    void fieldSplitOverSeveralLines() {
      Headers h = new Headers.Builder().add("RateLimit-Policy", "\"a\";q=10;w=1").add("RateLimit-Policy", "\"b\";q=600;w=60")
          .add("RateLimit", "\"a\";r=9;t=1").add("RateLimit", "\"b\";r=3;t=50").build();
      List<Quota> all = RateLimitHeaders.quotas(h, NOW, MAX);
      assertEquals(List.of("a", "b"), all.stream().map(Quota::policy).toList());
      assertEquals(OptionalLong.of(600), all.get(1).limit());
      assertEquals("b", RateLimitHeaders.parse(h, NOW, MAX).orElseThrow().policy());
    }

    @Test
    void noResetUsesTheWindowElseMaxWait() {
      assertEquals(NOW.plusSeconds(60), only("RateLimit-Policy", "\"default\";q=100;w=60", "RateLimit", "\"default\";r=5").reset());
      assertEquals(NOW.plus(MAX), only("RateLimit", "\"default\";r=999;pk=:dHJpYWwxMjEzMjM=:").reset());
    }

    @Test
    void nonRequestUnitsAreNotARequestQuota() {
      Headers h = Headers.of("RateLimit-Policy", "\"bytes\";q=65535;qu=\"content-bytes\";w=10,\"req\";q=10;w=1;qu=\"requests\"",
          "RateLimit", "\"bytes\";r=0;t=10,\"req\";r=4;t=1");
      List<Quota> all = RateLimitHeaders.quotas(h, NOW, MAX);
      assertEquals(List.of("req"), all.stream().map(Quota::policy).toList());
    }

    @Test
    void otherParametersAndItemTypesAreComments() {
      Quota q = only("RateLimit-Policy", "\"default\";q=100;w=60;pk=:cHsdsRa894==:;acme-x=?1;d=@1659578233;ds=%\"caf%c3%a9\";f=1.5",
          "RateLimit", "\"default\";r=50;t=30;comment=\"a, b; c\";flag;tok=abc/def:1");
      assertQuota(q, Dialect.IETF, "default", 50, Duration.ofSeconds(30), OptionalLong.of(100), Optional.of(Duration.ofSeconds(60)));
    }

    @Test
    void hugeResetIsCappedByMaxWait() {
      assertEquals(NOW.plus(MAX), only("RateLimit", "\"default\";r=0;t=86400").reset());
      assertEquals(NOW.plus(MAX), only("RateLimit", "\"default\";r=0;t=999999999").reset(), "31 years as a delay: capped");
    }

    @Test
    void anEpochLookingResetIsReadAsEpoch() {
      long epoch = NOW.getEpochSecond() + 30;
      assertEquals(NOW.plusSeconds(30), only("RateLimit", "\"default\";r=1;t=" + epoch).reset());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\"default\";r=-1;t=30",             // negative remaining
        "\"default\";r=50;t=-3",             // negative reset
        "\"default\";r=5.5;t=30",            // a decimal remaining
        "\"default\";r=5;t=1.5",             // a decimal reset
        "\"default\";t=30",                  // r is required
        "\"default\";r=\"5\";t=30",          // a string remaining
        "\"default\";R=5;t=30",              // keys are lowercase
        "\"default\";r=1234567890123456;t=3", // beyond 15 digits
        "\"default\";r=5;t=999999999999999", // a reset beyond now + 5 years: absurd
        "default;r=50;t=30",                 // the policy name must be a String
        "\"default\";r=50;t=30,",            // a trailing comma
        "\"default;r=50;t=30",               // an unterminated String
        "\"default\";r=50;t=30 junk",        // junk after a member
        "\"default\";r=50, (\"x\" \"y\");r=1", // an inner list is not a service limit
        "\"ok\";r=5;t=3, \"bad\";r=-1;t=3",  // one bad member spoils the field
        ""                                   // empty
    })
    void malformedFieldsAreIgnored(String value) {
      assertEquals(Optional.empty(), parse("RateLimit", value));
      assertEquals(Optional.empty(), parse("RateLimit-Policy", "\"default\";q=100;w=60", "RateLimit", value));
    }

    @Test
    void nonAsciiIsMalformed() {
      Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      map.put("RateLimit", "\"caf\u00e9\";r=5;t=3");
      assertEquals(Optional.empty(), RateLimitHeaders.parse(map::get, NOW, MAX));
    }

    @Test
    void aMalformedRateLimitFallsBackToTheNextDialect() {
      Quota q = only("RateLimit", "\"default\";r=-1;t=30", "X-RateLimit-Remaining", "7", "X-RateLimit-Reset", "3");
      assertEquals(Dialect.X_RATELIMIT, q.dialect());
      assertEquals(7, q.remaining());
    }

    @Test
    void aMalformedPolicyOnlyLosesLimitAndWindow() {
      for (String policy : new String[] {"\"default\";q=abc;w=60", "\"default\";q=100;w=0", "\"default\";q=-5", "nonsense(", "\"default\";w=60"}) {
        Quota q = only("RateLimit-Policy", policy, "RateLimit", "\"default\";r=50;t=30");
        assertEquals(50, q.remaining(), policy);
        assertEquals(NOW.plusSeconds(30), q.reset(), policy);
      }
      assertEquals(Optional.empty(), only("RateLimit-Policy", "\"default\";q=100;w=0", "RateLimit", "\"default\";r=50;t=30").window(),
          "a zero window is malformed");
      assertEquals(OptionalLong.of(100), only("RateLimit-Policy", "\"default\";q=100;w=0", "RateLimit", "\"default\";r=50;t=30").limit());
    }

    @Test
    void takesPrecedenceOverOtherDialects() {
      Quota q = only("RateLimit", "\"default\";r=2;t=4", "RateLimit-Remaining", "9", "RateLimit-Reset", "9",
          "X-RateLimit-Remaining", "8", "X-RateLimit-Reset", "8");
      assertEquals(Dialect.IETF, q.dialect());
      assertEquals(2, q.remaining());
    }
  }

  @Nested
  class Draft07 {
    @Test
    void combinedDictionary() {
      Quota q = only("RateLimit", "limit=100, remaining=50, reset=30", "RateLimit-Policy", "10;w=1, 100;w=60, 1000;w=3600");
      assertQuota(q, Dialect.IETF_07, "default", 50, Duration.ofSeconds(30), OptionalLong.of(100), Optional.of(Duration.ofSeconds(60)));
    }

    @Test
    void withoutPolicy() {
      assertQuota(only("RateLimit", "limit=10, remaining=0, reset=7"), Dialect.IETF_07, "default", 0, Duration.ofSeconds(7),
          OptionalLong.of(10), Optional.empty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"limit=100, reset=30", "remaining=5, reset=30", "limit=100, remaining=5", "limit=100, remaining=-5, reset=30",
        "limit=100, remaining=5, reset=abc", "limit=100, remaining=5, reset=\"30\"", "limit=100 remaining=5 reset=30", "limit=100,, remaining=5, reset=3"})
    void incompleteOrMalformed(String value) {
      assertEquals(Optional.empty(), parse("RateLimit", value));
    }
  }

  @Nested
  class SeparateDraftFields {
    @Test
    void limitRemainingReset() {
      assertQuota(only("RateLimit-Limit", "100", "RateLimit-Remaining", "3", "RateLimit-Reset", "7"), Dialect.IETF_SEPARATE, "default", 3,
          Duration.ofSeconds(7), OptionalLong.of(100), Optional.empty());
    }

    @Test
    void limitWithQuotaPolicies() {
      Quota q = only("RateLimit-Limit", "10, 10;w=1, 50;w=60", "RateLimit-Remaining", "3", "RateLimit-Reset", "1");
      assertEquals(OptionalLong.of(10), q.limit());
      assertEquals(Optional.of(Duration.ofSeconds(1)), q.window());
    }

    @Test
    void windowFromThePolicyFieldOfDraft06() {
      Quota q = only("RateLimit-Limit", "100", "RateLimit-Policy", "100;w=60", "RateLimit-Remaining", "3", "RateLimit-Reset", "7");
      assertEquals(Optional.of(Duration.ofSeconds(60)), q.window());
    }

    @Test
    void aJunkLimitOnlyLosesTheLimit() {
      Quota q = only("RateLimit-Limit", "lots", "RateLimit-Remaining", "3", "RateLimit-Reset", "7");
      assertEquals(OptionalLong.empty(), q.limit());
      assertEquals(3, q.remaining());
    }
  }

  @Nested
  class XRateLimit {
    @Test
    void githubEpochReset() {
      long reset = NOW.getEpochSecond() + 1800;
      Headers h = Headers.of("x-ratelimit-limit", "5000", "x-ratelimit-remaining", "4999", "x-ratelimit-used", "1",
          "x-ratelimit-reset", Long.toString(reset), "x-ratelimit-resource", "core");
      Quota q = RateLimitHeaders.parse(h, NOW, LONG_MAX).orElseThrow();
      assertQuota(q, Dialect.X_RATELIMIT, "default", 4999, Duration.ofSeconds(1800), OptionalLong.of(5000), Optional.empty());
      assertEquals(NOW.plus(MAX), RateLimitHeaders.parse(h, NOW, MAX).orElseThrow().reset(), "capped by maxWait");
    }

    @Test
    void deltaReset() {
      assertQuota(only("X-RateLimit-Limit", "20", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "30"), Dialect.X_RATELIMIT, "default",
          0, Duration.ofSeconds(30), OptionalLong.of(20), Optional.empty());
    }

    @Test
    void epochOrDelayByMagnitude() {
      long now = NOW.getEpochSecond();
      long fiveYears = RateLimitHeaders.EPOCH_PLAUSIBILITY.getSeconds();
      // within 5 years of now: epoch seconds
      assertEquals(NOW.plusSeconds(90), parse(LONG_MAX, "X-RateLimit-Remaining", "1", "X-RateLimit-Reset", Long.toString(now + 90))
          .orElseThrow().reset());
      assertEquals(NOW.plus(LONG_MAX), parse(LONG_MAX, "X-RateLimit-Remaining", "1", "X-RateLimit-Reset", Long.toString(now + fiveYears))
          .orElseThrow().reset(), "an epoch years ahead: capped");
      // in the past: the window has reset already
      assertEquals(NOW, only("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", Long.toString(now - 5)).reset());
      // below now - 5 years: a (long) delay, capped
      assertEquals(NOW.plus(MAX), only("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", Long.toString(now - fiveYears - 1)).reset());
      // above now + 5 years: absurd
      assertEquals(Optional.empty(), parse("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", Long.toString(now + fiveYears + 1)));
      // a day as a delay
      assertEquals(NOW.plusSeconds(86_400), parse(LONG_MAX, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "86400").orElseThrow().reset());
    }

    @Test
    void smallNumbersAreDelaysWhateverTheClock() {
      Optional<Quota> q = RateLimitHeaders.parse(Headers.of("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "30"), Instant.EPOCH, MAX);
      assertEquals(Instant.EPOCH.plusSeconds(30), q.orElseThrow().reset());
    }

    @Test
    void discordResetAfterWinsOverEpoch() {
      String epoch = (NOW.getEpochSecond() + 5) + ".500";
      Quota q = only("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", epoch, "X-RateLimit-Reset-After", "1.234",
          "X-RateLimit-Bucket", "abcd1234");
      assertEquals(NOW.plusMillis(1234), q.reset());
      assertEquals(NOW.plusMillis(5500), only("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", epoch).reset(), "a fractional epoch");
    }

    @Test
    void envoyListLimit() {
      Quota q = only("x-ratelimit-limit", "10, 10;w=1, 100;w=60", "x-ratelimit-remaining", "2", "x-ratelimit-reset", "1");
      assertQuota(q, Dialect.X_RATELIMIT, "default", 2, Duration.ofSeconds(1), OptionalLong.of(10), Optional.of(Duration.ofSeconds(1)));
    }

    @Test
    void namesAreCaseInsensitive() {
      assertEquals(7, only("X-RATELIMIT-REMAINING", "7", "x-RateLimit-reset", "3").remaining());
      Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      map.put("x-ratelimit-remaining", "7");
      map.put("x-ratelimit-reset", "3");
      map.put("ratelimit", "\"default\";r=4;t=2");
      Quota q = RateLimitHeaders.parse(map::get, NOW, MAX).orElseThrow();
      assertEquals(Dialect.IETF, q.dialect());
      assertEquals(4, q.remaining());
    }

    @Test
    void noResetUsesTheWindowElseMaxWait() {
      assertEquals(NOW.plus(MAX), only("X-RateLimit-Remaining", "7").reset());
      assertEquals(NOW.plusSeconds(1), only("X-RateLimit-Limit", "10, 10;w=1", "X-RateLimit-Remaining", "7").reset());
    }

    @Test
    void repeatedEqualValuesAreOneValue() {
      assertEquals(5, only("X-RateLimit-Remaining", "5, 5", "X-RateLimit-Reset", "3").remaining());
      assertEquals(Optional.empty(), parse("X-RateLimit-Remaining", "5, 6", "X-RateLimit-Reset", "3"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-5", "5.5", "1e3", "+5", " ", "99999999999999999999", "1234567890123456", "0x10", "5 requests"})
    void junkRemaining(String remaining) {
      assertEquals(Optional.empty(), parse("X-RateLimit-Limit", "10", "X-RateLimit-Remaining", remaining, "X-RateLimit-Reset", "3"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-30", "30s ago", "1.2.3", "1.1234567891", "99999999999999999999", "Tue, 15 Nov 1994 08:12:31 GMT", "5h-3m"})
    void junkReset(String reset) {
      assertEquals(Optional.empty(), parse("X-RateLimit-Remaining", "3", "X-RateLimit-Reset", reset));
    }

    @Test
    void junkResetAfter() {
      assertEquals(Optional.empty(), parse("X-RateLimit-Remaining", "3", "X-RateLimit-Reset-After", "-1"));
    }
  }

  @Nested
  class OpenAiRequests {
    @Test
    void durationReset() {
      Quota q = parse(LONG_MAX, "x-ratelimit-limit-requests", "60", "x-ratelimit-remaining-requests", "59",
          "x-ratelimit-reset-requests", "6m0s", "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "1s").orElseThrow();
      assertQuota(q, Dialect.X_RATELIMIT_REQUESTS, "requests", 59, Duration.ofMinutes(6), OptionalLong.of(60), Optional.empty());
      assertEquals(NOW.plusMillis(12), only("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "12ms").reset());
    }

    @Test
    void durations() {
      assertEquals(Optional.of(Duration.ofMillis(3_723_500)), RateLimitHeaders.duration("1h2m3.5s"));
      assertEquals(Optional.of(Duration.ofNanos(1_500)), RateLimitHeaders.duration("1.5us"));
      assertEquals(Optional.of(Duration.ofMillis(20)), RateLimitHeaders.duration("20ms"));
      assertEquals(Optional.empty(), RateLimitHeaders.duration("1d"));
      assertEquals(Optional.empty(), RateLimitHeaders.duration("s"));
      assertEquals(Optional.empty(), RateLimitHeaders.duration("-1s"));
    }

    @Test
    void durationInXRateLimitResetToo() {
      assertEquals(NOW.plusSeconds(90), only("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1m30s").reset());
    }
  }

  @Nested
  class Bounds {
    @Test
    void nothingWithoutHeaders() {
      assertEquals(Optional.empty(), parse());
      assertEquals(List.of(), RateLimitHeaders.quotas(Headers.of("Content-Type", "text/plain", "Retry-After", "5"), NOW, MAX));
    }

    @Test
    void aCachedResponseSaysNothing() {
      assertEquals(Optional.empty(), parse("Age", "12", "RateLimit", "\"default\";r=0;t=30"));
      assertTrue(parse("Age", "0", "RateLimit", "\"default\";r=0;t=30").isPresent());
    }

    @Test
    void zeroMaxWaitMeansNoWait() {
      assertEquals(NOW, parse(Duration.ZERO, "RateLimit", "\"default\";r=0;t=30").orElseThrow().reset());
    }

    @Test
    void negativeMaxWaitIsRefused() {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(Duration.ofSeconds(-1), "RateLimit", "\"d\";r=0"));
      assertTrue(e.getMessage().contains("maxWait"), e.getMessage());
    }

    @Test
    void hugeMaxWaitDoesNotOverflow() {
      Quota q = parse(Duration.ofDays(365 * 100), "RateLimit", "\"default\";r=0;t=999999999").orElseThrow();
      assertEquals(NOW.plusSeconds(999_999_999), q.reset());
      assertTrue(RateLimitHeaders.mostRestrictive(List.of(q, q), NOW).isPresent());
    }

    @Test
    void mostRestrictiveTies() {
      Quota a = new Quota(Dialect.IETF, "a", 10, NOW.plusSeconds(10), OptionalLong.empty(), Optional.empty());
      Quota b = new Quota(Dialect.IETF, "b", 5, NOW.plusSeconds(5), OptionalLong.empty(), Optional.empty());
      assertEquals("b", RateLimitHeaders.mostRestrictive(List.of(a, b), NOW).orElseThrow().policy(), "same pace: fewer left");
      Quota c = new Quota(Dialect.IETF, "c", 5, NOW, OptionalLong.empty(), Optional.empty());
      assertEquals("b", RateLimitHeaders.mostRestrictive(List.of(c, b), NOW).orElseThrow().policy(), "c comes back now");
      assertEquals(Optional.empty(), RateLimitHeaders.mostRestrictive(List.of(), NOW));
    }
  }
}
