package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.settings.InvalidSettingsException;
import io.ratelimit.settings.SettingsSource;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RateLimitConfigTest {

  private static RateLimitConfig fromEnv(Map<String, String> env) {
    return RateLimitConfig.from(SettingsSource.ofEnvironment(env), RateLimitConfig.DEFAULT_API);
  }

  private static String errorFor(Map<String, String> env) {
    return assertThrows(InvalidSettingsException.class, () -> fromEnv(env)).getMessage();
  }

  @Test
  void theConfigsShortcutsReadThroughTheReader() {
    SettingsSource source = SettingsSource.ofEnvironment(Map.of("PYTEST_API_BILLING_MAX_RETRIES", "5", "PYTEST_MAX_RETRIES", "2"));
    assertEquals(5, RateLimitConfigReader.from(source, "billing").maxRetries());
    assertEquals(2, RateLimitConfigReader.builderFrom(source, RateLimitConfig.DEFAULT_API).build().maxRetries());
    assertEquals(RateLimitConfigReader.from(source, "billing").describe(), RateLimitConfig.from(source, "billing").describe());
    assertEquals(RateLimitConfigReader.builderFrom(source, "billing").build().describe(), RateLimitConfig.builderFrom(source, "billing").build().describe());
  }

  @Test
  void defaultsAreTheSeeds() {
    RateLimitConfig c = fromEnv(Map.of());
    assertTrue(c.rateLimited());
    assertEquals(10, c.maxConcurrentRequests());
    assertEquals(Duration.ofMillis(100), c.rateLimitDelay());
    assertEquals(3, c.maxRetries());
    assertEquals(Duration.ofSeconds(1), c.baseBackoff());
    assertEquals(Duration.ofSeconds(60), c.maxBackoff());
    assertEquals(0.1, c.errorThreshold());
    assertEquals(OptionalInt.empty(), c.workers());
    assertFalse(c.disableParallel());
    assertFalse(c.debug());
  }

  @Test
  void readsTheEnvironment() {
    RateLimitConfig c = fromEnv(Map.of(
        "PYTEST_RATE_LIMITED", "No",
        "PYTEST_MAX_CONCURRENT_REQUESTS", "5",
        "PYTEST_RATE_LIMIT_DELAY", "0.25",
        "PYTEST_MAX_RETRIES", "0",
        "PYTEST_BASE_BACKOFF", "0.5",
        "PYTEST_MAX_BACKOFF", " 30 ",
        "PYTEST_ERROR_THRESHOLD", "0.2",
        "PYTEST_WORKERS", "4",
        "PYTEST_DISABLE_PARALLEL", "YES",
        "PYTEST_DEBUG", "1"));
    assertFalse(c.rateLimited());
    assertEquals(5, c.maxConcurrentRequests());
    assertEquals(Duration.ofMillis(250), c.rateLimitDelay());
    assertEquals(0, c.maxRetries());
    assertEquals(Duration.ofMillis(500), c.baseBackoff());
    assertEquals(Duration.ofSeconds(30), c.maxBackoff());
    assertEquals(0.2, c.errorThreshold());
    assertEquals(OptionalInt.of(4), c.workers());
    assertTrue(c.disableParallel());
    assertTrue(c.debug());
  }

  @Test
  void builderBeatsPropertyBeatsEnvironmentBeatsDefault() {
    SettingsSource source = SettingsSource.of(
        key -> key.equals("ratelimit.max-retries") || key.equals("ratelimit.max-concurrent-requests")
            ? Optional.of("7") : Optional.empty(),
        Map.of("PYTEST_MAX_RETRIES", "1", "PYTEST_MAX_CONCURRENT_REQUESTS", "2", "PYTEST_RATE_LIMIT_DELAY", "0.5"));

    RateLimitConfig c = RateLimitConfig.builderFrom(source, "default").maxConcurrentRequests(9).build();

    assertEquals(9, c.maxConcurrentRequests());
    assertEquals(7, c.maxRetries());
    assertEquals(Duration.ofMillis(500), c.rateLimitDelay());
    String described = c.describe();
    assertTrue(described.contains("PYTEST_MAX_CONCURRENT_REQUESTS = 9 (builder)"), described);
    assertTrue(described.contains("PYTEST_MAX_RETRIES = 7 (property)"), described);
    assertTrue(described.contains("PYTEST_RATE_LIMIT_DELAY = 0.5 s (environment)"), described);
    assertTrue(described.contains("PYTEST_MAX_BACKOFF = 60 s (default)"), described);
  }

  @Test
  void aNamedApiHasItsOwnLimitsAndInheritsTheRest() {
    Map<String, String> env = Map.of("PYTEST_MAX_CONCURRENT_REQUESTS", "8", "PYTEST_API_BILLING_MAX_CONCURRENT_REQUESTS", "2",
        "PYTEST_MAX_RETRIES", "5");
    RateLimitConfig billing = RateLimitConfig.from(SettingsSource.ofEnvironment(env), "billing");
    assertEquals("billing", billing.apiName());
    assertEquals(2, billing.maxConcurrentRequests());
    assertEquals(5, billing.maxRetries());
    assertEquals(8, fromEnv(env).maxConcurrentRequests());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PYTEST_MAX_CONCURRENT_REQUESTS | 0     | a whole number from 1 to 10000",
      "PYTEST_MAX_CONCURRENT_REQUESTS | -3    | a whole number from 1 to 10000",
      "PYTEST_MAX_CONCURRENT_REQUESTS | ten   | a whole number from 1 to 10000",
      "PYTEST_RATE_LIMIT_DELAY        | -0.1  | a number of seconds from 0 to 3600",
      "PYTEST_RATE_LIMIT_DELAY        | NaN   | a number of seconds from 0 to 3600",
      "PYTEST_RATE_LIMIT_DELAY        | 1e3   | a number of seconds from 0 to 3600",
      "PYTEST_BASE_BACKOFF            | Infinity | a number of seconds from 0 to 3600",
      "PYTEST_MAX_RETRIES             | 3.5   | a whole number from 0 to 100",
      "PYTEST_RATE_LIMITED            | maybe | true, false, 1, 0, yes or no (any case)",
      "PYTEST_DISABLE_PARALLEL        | on    | true, false, 1, 0, yes or no (any case)",
      "PYTEST_ERROR_THRESHOLD         | 1.5   | a decimal number from 0 to 1",
      "PYTEST_WORKERS                 | 0     | a whole number from 1 to 1024, or auto",
  })
  void aBadValueIsNamedWithWhatIsAccepted(String variable, String value, String accepted) {
    String message = errorFor(Map.of(variable, value));
    assertTrue(message.contains(variable), message);
    assertTrue(message.contains("'" + value + "'"), message);
    assertTrue(message.contains("expected " + accepted), message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   "})
  void emptyValuesAreRejectedNotIgnored(String value) {
    String message = errorFor(Map.of("PYTEST_MAX_RETRIES", value));
    assertTrue(message.contains("PYTEST_MAX_RETRIES"), message);
  }

  @Test
  void maxBackoffBelowBaseBackoffIsRejected() {
    String message = errorFor(Map.of("PYTEST_BASE_BACKOFF", "5", "PYTEST_MAX_BACKOFF", "2"));
    assertTrue(message.contains("PYTEST_MAX_BACKOFF"), message);
    assertTrue(message.contains("'2'"), message);
    assertTrue(message.contains("at least the base backoff (PYTEST_BASE_BACKOFF = 5 s)"), message);
  }

  @Test
  void everyBadValueIsReportedInOneMessage() {
    InvalidSettingsException e = assertThrows(InvalidSettingsException.class,
        () -> fromEnv(Map.of("PYTEST_MAX_RETRIES", "x", "PYTEST_RATE_LIMIT_DELAY", "-1", "PYTEST_DEBUG", "2")));
    assertEquals(3, e.problems().size(), e.getMessage());
  }

  @Test
  void aPropertyIsNamedAsAProperty() {
    SettingsSource source = SettingsSource.of(
        key -> key.equals("ratelimit.max-retries") ? Optional.of("lots") : Optional.empty(), Map.of());
    String message = assertThrows(InvalidSettingsException.class, () -> RateLimitConfig.from(source, "default")).getMessage();
    assertTrue(message.contains("property ratelimit.max-retries"), message);
  }

  @Test
  void builderValuesAreValidatedToo() {
    String message = assertThrows(InvalidSettingsException.class,
        () -> RateLimitConfig.builder().maxConcurrentRequests(0).rateLimitDelay(Duration.ofSeconds(-1)).build()).getMessage();
    assertTrue(message.contains("ratelimit.max-concurrent-requests"), message);
    assertTrue(message.contains("ratelimit.rate-limit-delay"), message);
  }

  @Test
  void badApiNamesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> RateLimitConfig.builder().apiName("Billing API"));
  }
}
