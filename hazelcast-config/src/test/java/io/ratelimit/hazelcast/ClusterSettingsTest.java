package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.settings.InvalidSettingsException;
import io.ratelimit.settings.SettingSource;
import io.ratelimit.settings.SettingsSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterSettingsTest {

  private static ClusterSettings from(Map<String, String> env) {
    return ClusterSettings.from(SettingsSource.ofEnvironment(env));
  }

  @Test
  void defaultsAreTheMachinesRunDirectoryWithLoopbackPortsForAMember() {
    ClusterSettings s = from(Map.of());
    assertEquals(ClusterMode.MACHINE, s.mode());
    assertEquals(5801, s.basePort());
    assertEquals(32, s.portCount());
    assertEquals("127.0.0.1", s.bindInterface());
    assertEquals(Duration.ofSeconds(10), s.joinTimeout());
    assertEquals(SettingSource.DEFAULT, s.runIdSource());
    assertEquals(RunIdentity.derive(), s.runId(), "every fork of one build derives the same identity");
    assertTrue(s.displayName().startsWith("ratelimit-build-"));
  }

  @Test
  void readsEveryMode() {
    ClusterSettings members = from(Map.of("PYTEST_CLUSTER_MODE", "Members", "PYTEST_CLUSTER_MEMBERS", "10.0.0.5:5801, ci-2:5801",
        "PYTEST_CLUSTER_INTERFACE", "10.0.0.5", "PYTEST_RUN_ID", "gh-1234-1", "PYTEST_CLUSTER_SECRET", SECRET));
    assertEquals(ClusterMode.MEMBERS, members.mode());
    assertEquals(List.of("10.0.0.5:5801", "ci-2:5801"), members.members());
    assertEquals("ratelimit-gh-1234-1", members.displayName());
    ClusterSettings client = from(Map.of("PYTEST_CLUSTER_MODE", "client", "PYTEST_CLUSTER_ADDRESS", "hazelcast:5701"));
    assertEquals(List.of("hazelcast:5701"), client.clientAddresses());
    assertEquals(ClusterMode.LOCAL, from(Map.of("PYTEST_CLUSTER_MODE", "local")).mode());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PYTEST_CLUSTER_MODE         | cloud        | one of machine, embedded, members, client, local",
      "PYTEST_CLUSTER_PORT         | 80           | a whole number from 1024 to 65535",
      "PYTEST_CLUSTER_PORT         | 70000        | a whole number from 1024 to 65535",
      "PYTEST_CLUSTER_PORT_COUNT   | 0            | a whole number from 1 to 1000",
      "PYTEST_CLUSTER_JOIN_TIMEOUT | 0            | a number of seconds from 0.5 to 600",
      "PYTEST_RUN_ID               | my run       | 1 to 64 letters, digits, dots, dashes or underscores",
      "PYTEST_CLUSTER_ADDRESS      | a b          | a comma-separated list of host[:port] addresses",
      "PYTEST_CLUSTER_MEMBERS      | host:99999   | a comma-separated list of host[:port] addresses",
      "PYTEST_CLUSTER_INTERFACE    | 0.0.0.0.0    | an IPv4 address of this machine",
  })
  void badValuesAreNamed(String variable, String value, String accepted) {
    String message = assertThrows(InvalidSettingsException.class, () -> from(Map.of(variable, value))).getMessage();
    assertTrue(message.contains(variable) && message.contains("'" + value + "'") && message.contains(accepted), message);
  }

  @Test
  void modesNeedTheirAddresses() {
    String members = assertThrows(InvalidSettingsException.class, () -> from(Map.of("PYTEST_CLUSTER_MODE", "members"))).getMessage();
    assertTrue(members.contains("PYTEST_CLUSTER_MEMBERS") && members.contains("PYTEST_CLUSTER_INTERFACE"), members);
    String client = assertThrows(InvalidSettingsException.class, () -> from(Map.of("PYTEST_CLUSTER_MODE", "client"))).getMessage();
    assertTrue(client.contains("PYTEST_CLUSTER_ADDRESS"), client);
  }

  @Test
  void aRangePastTheLastPortIsRejected() {
    String message = assertThrows(InvalidSettingsException.class,
        () -> from(Map.of("PYTEST_CLUSTER_PORT", "65530", "PYTEST_CLUSTER_PORT_COUNT", "10"))).getMessage();
    assertTrue(message.contains("PYTEST_CLUSTER_PORT_COUNT"), message);
  }

  private static final String SECRET = "4f9c2a7be1d8306a5c9e7f1b2d4a6c8e"; // 32 hex characters: 128 bits
  private static final Map<String, String> MEMBERS = Map.of("PYTEST_CLUSTER_MODE", "members", "PYTEST_CLUSTER_MEMBERS", "10.0.0.5:5801",
      "PYTEST_CLUSTER_INTERFACE", "10.0.0.5", "PYTEST_RUN_ID", "gh-1234-1");

  private static Map<String, String> with(Map<String, String> env, String variable, String value) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put(variable, value);
    return all;
  }

  @Test
  void membersModeNeedsTheSecretFromTheEnvironment() {
    for (Map<String, String> env : List.of(MEMBERS, with(MEMBERS, "PYTEST_CLUSTER_SECRET", ""), with(MEMBERS, "PYTEST_CLUSTER_SECRET", "  "))) {
      InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> from(env));
      assertEquals(1, e.problems().size(), e.getMessage());
      assertTrue(e.getMessage().contains("PYTEST_CLUSTER_SECRET is not set") && e.getMessage().contains("members")
          && e.getMessage().contains("the same on every machine") && e.getMessage().contains("at least 22 characters"), e.getMessage());
    }
    ClusterSettings members = from(with(MEMBERS, "PYTEST_CLUSTER_SECRET", SECRET));
    assertTrue(members.secret().isPresent());
    assertFalse(members.toString().contains(SECRET) || members.displayName().contains(SECRET) || members.secret().get().toString().contains(SECRET),
        members.toString());
  }

  @Test
  void otherModesTakeTheSecretOrNone() {
    assertTrue(from(Map.of("PYTEST_CLUSTER_SECRET", SECRET)).secret().isPresent());
    assertTrue(from(Map.of()).secret().isEmpty());
    // a CI secret store gives an empty value for a secret it lacks (a pull request from a fork): no secret, no error
    assertTrue(from(Map.of("PYTEST_CLUSTER_SECRET", "")).secret().isEmpty());
    assertTrue(from(Map.of("PYTEST_CLUSTER_MODE", "client", "PYTEST_CLUSTER_ADDRESS", "hz:5701")).secret().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"tooShortSecret123", "a0b1c2d3e4f5a6b7c8d9e", "spaces are not accepted here at all", "quote'and\"quote-1234567890",
      "n\u00e4ive-secret-with-umlaut-000000"})
  void aBadSecretIsNamedButNeverShown(String value) {
    String message = assertThrows(InvalidSettingsException.class, () -> from(with(MEMBERS, "PYTEST_CLUSTER_SECRET", value))).getMessage();
    assertTrue(message.contains("PYTEST_CLUSTER_SECRET") && message.contains("at least 22 characters"), message);
    assertFalse(message.contains(value.trim()) || message.contains(value.substring(0, 8)), "the value is never echoed: " + message);
  }

  @Test
  void aSecretGivenAsAPropertyIsRefusedWithoutShowingIt() {
    for (ClusterMode mode : List.of(ClusterMode.MACHINE, ClusterMode.MEMBERS)) {
      Map<String, String> env = mode == ClusterMode.MEMBERS ? MEMBERS : Map.of();
      SettingsSource source = SettingsSource.of(key -> key.equals("ratelimit.cluster-secret") ? java.util.Optional.of(SECRET)
          : java.util.Optional.empty(), with(env, "PYTEST_CLUSTER_SECRET", SECRET));
      InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> ClusterSettings.from(source));
      assertEquals(1, e.problems().size(), e.getMessage());
      assertTrue(e.getMessage().contains("PYTEST_CLUSTER_SECRET must not be given as property ratelimit.cluster-secret")
          && e.getMessage().contains("environment variable PYTEST_CLUSTER_SECRET") && e.getMessage().contains("secret store"), e.getMessage());
      assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
  }

  @Test
  void theBuilderTakesASecretAndMembersModeNeedsOne() {
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ClusterSettings.builder().secret("short-secret-1"));
    assertFalse(bad.getMessage().contains("short-secret-1"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClusterSettings.builder().mode(ClusterMode.MEMBERS)
        .members(List.of("10.0.0.5:5801"), "10.0.0.5").build());
    ClusterSettings s = ClusterSettings.builder().mode(ClusterMode.MEMBERS).members(List.of("10.0.0.5:5801"), "10.0.0.5").secret(SECRET).build();
    assertFalse(s.toString().contains(SECRET), s.toString());
  }
}
