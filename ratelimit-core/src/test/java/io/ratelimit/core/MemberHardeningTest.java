package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A member of the run's cluster against hostile network input, and what crosses the wire. */
class MemberHardeningTest {
  private static final Duration BOUND = Duration.ofSeconds(60);

  @Test
  void junkSentToTheMemberPortNeitherCrashesNorStallsTheCluster() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("PYTEST_RUN_ID", "junk-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_MODE", "embedded"); // the cluster path: the default (machine) keeps the run directory
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(6)));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "6");
    try (ForkedJvm member = ForkedJvm.start("member", ClusterMember.class, env);
        RateLimitCoordinator worker = startWorker(env)) {
      String address = member.awaitValue("MEMBER", BOUND).split(" ")[0].replace("[", "").replace("]", "");
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      Await.until(() -> worker.clusterSize() == 2, BOUND, "the worker joined the member");

      Random random = new Random(42);
      for (int i = 0; i < 20; i++) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          OutputStream out = s.getOutputStream();
          byte[] junk = new byte[1 + random.nextInt(64 * 1024)];
          random.nextBytes(junk);
          if (i % 4 == 0) {
            out.write("HZC".getBytes(StandardCharsets.US_ASCII)); // a protocol header, then nonsense
          } else if (i % 4 == 1) {
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          out.write(junk);
          out.flush();
        } catch (java.io.IOException refusedOrReset) {
          // the member may drop the connection at once: that is the point
        }
      }
      Socket halfOpen = new Socket(InetAddress.getLoopbackAddress(), port); // connects, never speaks

      try (SharedPermit permit = worker.acquire(PermitName.named("after-junk"), 1, Duration.ofSeconds(10)).orElseThrow()) {
        assertEquals(1, worker.permitsHeld(PermitName.named("after-junk")), "the cluster still answers");
      }
      assertEquals(2, worker.clusterSize(), "no member left");
      assertTrue(ProcessHandle.of(member.pid()).map(ProcessHandle::isAlive).orElse(false), "the member JVM lives on");
      halfOpen.close();
    }
  }

  private static RateLimitCoordinator startWorker(Map<String, String> env) {
    return RateLimitCoordinator.start(SettingsSource.ofEnvironment(env));
  }

  @Test
  void everyTypeTheClusterStateSendsGoesAsIdentifiedDataNeverByJavaSerialization() throws Exception {
    com.hazelcast.config.SerializationConfig config = new com.hazelcast.config.SerializationConfig();
    io.ratelimit.core.internal.cluster.ClusterSerialization.register(config);
    com.hazelcast.internal.serialization.SerializationService service =
        new com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder().setConfig(config).build();
    List<Class<?>> wireTypes = List.of(io.ratelimit.core.internal.cluster.AcquirePermit.class,
        io.ratelimit.core.internal.cluster.AppendOutcome.class, io.ratelimit.core.internal.cluster.LeaseProcessor.class,
        io.ratelimit.core.internal.cluster.PermitTable.class, io.ratelimit.core.internal.cluster.ReleaseHolder.class,
        io.ratelimit.core.internal.cluster.ReleasePermit.class, io.ratelimit.core.internal.cluster.RenewLeases.class,
        io.ratelimit.core.internal.cluster.ReserveSlot.class, io.ratelimit.core.internal.cluster.SwitchMode.class,
        io.ratelimit.core.internal.cluster.PaceFeedback.class,
        io.ratelimit.core.internal.leases.LeaseTable.class);
    for (Class<?> type : wireTypes) {
      assertTrue(IdentifiedDataSerializable.class.isAssignableFrom(type), type + " is IdentifiedDataSerializable");
      Object sample = type == io.ratelimit.core.internal.cluster.LeaseProcessor.class ? leaseProcessor() : type.getConstructor().newInstance();
      com.hazelcast.internal.serialization.Data data = service.toData(sample);
      // entry processors are java.io.Serializable by Hazelcast's interface, but identified data wins
      assertEquals(com.hazelcast.internal.serialization.impl.SerializationConstants.CONSTANT_TYPE_DATA_SERIALIZABLE, data.getType(),
          type + " goes on the wire as identified data");
      assertEquals(type, service.toObject(data).getClass(), type + " comes back through our factory");
    }
  }

  /** A lease processor needs an operation to be written: the one that drops expired leases. */
  private static Object leaseProcessor() throws ReflectiveOperationException {
    java.lang.reflect.Method dropExpired = io.ratelimit.core.internal.cluster.LeaseProcessor.class.getDeclaredMethod("dropExpired");
    dropExpired.setAccessible(true);
    return dropExpired.invoke(null);
  }
}
