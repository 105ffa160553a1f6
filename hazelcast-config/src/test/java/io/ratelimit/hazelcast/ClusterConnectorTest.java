package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.hazelcast.internal.ClientConfigs;
import io.ratelimit.hazelcast.internal.MemberConfigs;
import io.ratelimit.hazelcast.testing.FreePorts;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real Hazelcast members and clients, formed and refused as the settings say. */
class ClusterConnectorTest {
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private ClusterConnection connect(ClusterSettings settings) {
    ClusterConnection connection = ClusterConnector.connect(settings, serialization -> {});
    open.add(connection);
    return connection;
  }

  private static ClusterSettings.Builder embedded(String runId, int basePort, int count) {
    return ClusterSettings.builder().mode(ClusterMode.EMBEDDED).runId(runId).ports(basePort, count).joinTimeout(Duration.ofSeconds(5));
  }

  @Test
  void membersOfOneRunFormOneClusterAndOtherRunsStayOut() throws IOException {
    int base = FreePorts.range(6);
    String run = "run-" + UUID.randomUUID();
    ClusterConnection first = connect(embedded(run, base, 6).build());
    ClusterConnection second = connect(embedded(run, base, 6).build());
    ClusterConnection stranger = connect(embedded("other-" + UUID.randomUUID(), base, 6).build());

    assertEquals(ClusterMode.EMBEDDED, first.mode());
    assertEquals(2, first.clusterSize());
    assertEquals(2, second.clusterSize());
    assertEquals(1, stranger.clusterSize(), "a member with another cluster name cannot join");
    assertEquals("ratelimit-" + run, first.displayName());
  }

  @Test
  void anEmbeddedMemberListensOnLoopbackOnly() throws IOException {
    ClusterConnection connection = connect(embedded("run-" + UUID.randomUUID(), FreePorts.range(3), 3).build());
    HazelcastInstance member = connection.instance().orElseThrow();
    InetSocketAddress bound = member.getCluster().getLocalMember().getSocketAddress();
    assertEquals("127.0.0.1", bound.getAddress().getHostAddress());

    Optional<InetAddress> external = nonLoopbackAddress();
    assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to try");
    try (Socket probe = new Socket()) {
      assertThrows(IOException.class, () -> probe.connect(new InetSocketAddress(external.get(), bound.getPort()), 1000),
          "the member port must not answer on " + external.get());
    }
  }

  @Test
  void whenEveryPortIsTakenItFallsBackToLocalWithTheReason() throws IOException {
    int base = FreePorts.range(2);
    try (ServerSocket a = new ServerSocket(base, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(base + 1, 1, InetAddress.getLoopbackAddress())) {
      long start = System.nanoTime();
      ClusterConnection connection = connect(embedded("run-" + UUID.randomUUID(), base, 2).joinTimeout(Duration.ofSeconds(2)).build());

      assertEquals(ClusterMode.LOCAL, connection.mode());
      assertTrue(connection.fellBack());
      assertTrue(connection.instance().isEmpty());
      assertFalse(connection.fallbackReason().orElseThrow().isBlank());
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2 + 5)) <= 0, "the fallback is bounded");
    }
  }

  @Test
  void aClientWithNoClusterToReachFallsBackInBoundedTime() throws IOException {
    int nothingThere = FreePorts.range(1);
    ClusterConnection connection = connect(ClusterSettings.builder().mode(ClusterMode.CLIENT).runId("run-" + UUID.randomUUID())
        .clientAddresses(List.of("127.0.0.1:" + nothingThere)).joinTimeout(Duration.ofSeconds(1)).build());

    assertEquals(ClusterMode.LOCAL, connection.mode());
    assertTrue(connection.fellBack());
  }

  @Test
  void aClientJoinsAnExistingCluster() throws IOException {
    int base = FreePorts.range(3);
    String run = "run-" + UUID.randomUUID();
    ClusterConnection member = connect(embedded(run, base, 3).build());
    int port = member.instance().orElseThrow().getCluster().getLocalMember().getSocketAddress().getPort();

    ClusterConnection client = connect(ClusterSettings.builder().mode(ClusterMode.CLIENT).runId(run)
        .clientAddresses(List.of("127.0.0.1:" + port)).joinTimeout(Duration.ofSeconds(5)).build());

    assertEquals(ClusterMode.CLIENT, client.mode());
    assertEquals(1, client.clusterSize());
    client.instance().orElseThrow().getMap("ratelimit.probe").put("k", "v");
    assertEquals("v", member.instance().orElseThrow().getMap("ratelimit.probe").get("k"));
  }

  /**
   * Knowing the run id and the port range is not enough: a member named as the cluster was before the join
   * secret ({@code ratelimit-<run id>}) forms a cluster of its own, a client of that name is refused within
   * its connect timeout, and neither sees the run's maps.
   */
  @Test
  void anOutsiderWithTheRunIdAndThePortsButNotTheSecretCanNeitherJoinNorConnect() throws IOException {
    int base = FreePorts.range(6);
    String run = "run-" + UUID.randomUUID();
    ClusterConnection member = connect(embedded(run, base, 6).build());
    member.instance().orElseThrow().getMap("ratelimit.probe").put("k", "v");
    int port = member.instance().orElseThrow().getCluster().getLocalMember().getSocketAddress().getPort();

    ClusterSettings outsider = embedded(run, base, 6).build();
    HazelcastInstance intruder = Hazelcast.newHazelcastInstance(MemberConfigs.member(outsider, outsider.displayName(), s -> {}));
    open.add(() -> intruder.getLifecycleService().terminate());
    assertEquals(1, intruder.getCluster().getMembers().size(), "the outsider is alone");
    assertTrue(intruder.getMap("ratelimit.probe").isEmpty(), "and sees none of the run's state");

    ClusterSettings client = ClusterSettings.builder().mode(ClusterMode.CLIENT).runId(run).clientAddresses(List.of("127.0.0.1:" + port))
        .joinTimeout(Duration.ofSeconds(3)).build();
    long start = System.nanoTime();
    assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(ClientConfigs.client(client, client.displayName(), s -> {})),
        "a client of the cluster's old name is refused");
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(3 + 10)) < 0, "within its connect timeout");
    assertEquals(1, member.clusterSize(), "the run's cluster has its own member only");
    assertEquals("v", member.instance().orElseThrow().getMap("ratelimit.probe").get("k"));
  }

  @Test
  void aClientWithoutTheSecretSaysWhichSettingGivesIt() {
    ClusterConnection connection = connect(ClusterSettings.builder().mode(ClusterMode.CLIENT).runId("run-" + UUID.randomUUID())
        .runDirectory(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "no-run-" + UUID.randomUUID()))
        .clientAddresses(List.of("127.0.0.1:5701")).joinTimeout(Duration.ofSeconds(1)).build());
    assertTrue(connection.fellBack());
    assertTrue(connection.fallbackReason().orElseThrow().contains("PYTEST_CLUSTER_SECRET"), connection.fallbackReason().orElseThrow());
  }

  @Test
  void localModeStartsNothing() {
    ClusterConnection connection = connect(ClusterSettings.builder().mode(ClusterMode.LOCAL).build());
    assertEquals(ClusterMode.LOCAL, connection.mode());
    assertFalse(connection.fellBack());
    assertEquals(1, connection.clusterSize());
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
        .findFirst();
  }
}
