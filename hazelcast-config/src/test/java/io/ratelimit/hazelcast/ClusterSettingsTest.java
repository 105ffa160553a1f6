package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertTrue(s.clusterName().startsWith("ratelimit-build-"));
  }

  @Test
  void readsEveryMode() {
    ClusterSettings members = from(Map.of("PYTEST_CLUSTER_MODE", "Members", "PYTEST_CLUSTER_MEMBERS", "10.0.0.5:5801, ci-2:5801",
        "PYTEST_CLUSTER_INTERFACE", "10.0.0.5", "PYTEST_RUN_ID", "gh-1234-1"));
    assertEquals(ClusterMode.MEMBERS, members.mode());
    assertEquals(List.of("10.0.0.5:5801", "ci-2:5801"), members.members());
    assertEquals("ratelimit-gh-1234-1", members.clusterName());
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
}
