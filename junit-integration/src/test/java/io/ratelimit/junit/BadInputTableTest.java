package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.junit.internal.JUnitSettings;
import io.ratelimit.settings.InvalidSettingsException;
import io.ratelimit.settings.SettingsSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every setting against a table of bad values: each one is rejected when the settings are read, with a
 * message naming the variable, the value and what is accepted; none is accepted silently, none hangs.
 * (Whitespace around a value is trimmed on purpose, CI files add it; whitespace alone is an error.)
 */
class BadInputTableTest {
  private static final List<String> SECONDS = List.of("-1", "-0.5", "NaN", "nan", "Infinity", "-Infinity", "1e3", "0x10",
      "1,5", "ten", "", "  ", "\t", "1 s", "99999999999999", "1..2", "+-1", "0.0000000001");
  private static final List<String> COUNTS = List.of("0", "-1", "1.5", "NaN", "Infinity", "", " ", "abc", "2147483648",
      "99999999999", "1e2", "0x5", "5 5", "five");
  private static final List<String> BOOLEANS = List.of("maybe", "on", "off", "2", "-1", "", " ", "tru", "yess", "y", "n", "t", "f");
  private static final List<String> FRACTIONS = List.of("-0.1", "1.1", "2", "NaN", "Infinity", "", " ", "x", "10%", "1e-1");
  private static final List<String> PORTS = List.of("0", "80", "1023", "65536", "70000", "-1", "", " ", "port", "58O1", "1.5");
  private static final List<String> ADDRESSES = List.of("", " ", "a b", "host:", "host:0", "host:65536", ":5701", "host:port",
      "http://host:5701", "host;5701", ",", "a,,b");

  static Stream<Arguments> badValues() {
    List<Arguments> rows = new ArrayList<>();
    for (String v : SECONDS) {
      for (String name : List.of("PYTEST_RATE_LIMIT_DELAY", "PYTEST_BASE_BACKOFF", "PYTEST_MAX_BACKOFF", "PYTEST_PERMIT_TIMEOUT",
          "PYTEST_CLUSTER_JOIN_TIMEOUT", "PYTEST_TEST_SLOT_TIMEOUT", "PYTEST_LEASE_WAIT", "PYTEST_POOL_WAIT", "PYTEST_LEASE_TIMEOUT")) {
        boolean zeroAllowed = List.of("PYTEST_RATE_LIMIT_DELAY", "PYTEST_LEASE_WAIT", "PYTEST_POOL_WAIT").contains(name);
        if (!(v.equals("0.0000000001") && zeroAllowed)) {
          rows.add(Arguments.of(name, v));
        }
      }
    }
    for (String v : COUNTS) {
      for (String name : List.of("PYTEST_MAX_CONCURRENT_REQUESTS", "PYTEST_WORKERS", "PYTEST_CLUSTER_PORT_COUNT")) {
        rows.add(Arguments.of(name, v));
      }
    }
    for (String v : List.of("-1", "101", "1.5", "", "many")) {
      rows.add(Arguments.of("PYTEST_MAX_RETRIES", v));
    }
    for (String v : BOOLEANS) {
      for (String name : List.of("PYTEST_RATE_LIMITED", "PYTEST_DISABLE_PARALLEL", "PYTEST_DEBUG")) {
        rows.add(Arguments.of(name, v));
      }
    }
    FRACTIONS.forEach(v -> rows.add(Arguments.of("PYTEST_ERROR_THRESHOLD", v)));
    PORTS.forEach(v -> rows.add(Arguments.of("PYTEST_CLUSTER_PORT", v)));
    ADDRESSES.forEach(v -> rows.add(Arguments.of("PYTEST_CLUSTER_ADDRESS", v)));
    ADDRESSES.forEach(v -> rows.add(Arguments.of("PYTEST_CLUSTER_MEMBERS", v)));
    for (String v : List.of("", " ", "cloud", "cluster", "LOCALHOST", "embedded,local")) {
      rows.add(Arguments.of("PYTEST_CLUSTER_MODE", v));
    }
    for (String v : List.of("", "my run", "run/1", "a".repeat(65), "run:1", "ä")) {
      rows.add(Arguments.of("PYTEST_RUN_ID", v));
    }
    for (String v : List.of("", "e2e", "e2e=", "=3", "e2e=0", "e2e=x", "e2e=3,,live=1", "e 2e=3", "e2e=3;live=2")) {
      rows.add(Arguments.of("PYTEST_CATEGORY_LIMITS", v));
    }
    for (String v : List.of("", " ", "repos", "repos=", "=a,b", "repos=a,,b", "repos=a,a", "repos=repo-5..repo-1", "repos=a b",
        "repos=a;repos=b", "repos=repo-1..repo-99999", "repos=x;", "re pos=a", "repos=a=b", "repos=ä")) {
      rows.add(Arguments.of("PYTEST_RESOURCE_POOLS", v));
    }
    for (String v : List.of("", " ", "skip", "failed", "abort,fail", "true", "0")) {
      rows.add(Arguments.of("PYTEST_THROTTLED_TESTS", v));
    }
    for (String v : List.of("", "0.0.0.0.0", "localhost", "256.1")) {
      rows.add(Arguments.of("PYTEST_CLUSTER_INTERFACE", v));
    }
    // a secret is never echoed (ClusterSettingsTest); an empty one counts as unset (a CI secret store without it)
    for (String v : List.of("short", "0123456789abcdef012345 789", "\u00e4".repeat(30), "secret;rm -rf /;0123456789")) {
      rows.add(Arguments.of("PYTEST_CLUSTER_SECRET", v));
    }
    return rows.stream();
  }

  @Test
  void theTableHasAtLeastTwoHundredRows() {
    assertTrue(badValues().count() >= 200, "rows: " + badValues().count());
  }

  @ParameterizedTest(name = "{0}=''{1}''")
  @MethodSource("badValues")
  void isRejectedWithItsNameAndValue(String variable, String value) {
    String message = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      try {
        SettingsSource source = SettingsSource.ofEnvironment(Map.of(variable, value));
        JUnitSettings.run(source);
        ClusterSettings.from(source);
        return "accepted";
      } catch (InvalidSettingsException e) {
        return e.getMessage();
      }
    });
    assertTrue(message.contains(variable), variable + "='" + value + "' was " + message);
    assertTrue(message.contains("expected "), message);
    assertEquals(1, message.lines().filter(l -> l.contains(variable)).count(), message);
  }
}
