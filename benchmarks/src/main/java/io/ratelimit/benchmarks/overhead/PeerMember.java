package io.ratelimit.benchmarks.overhead;

import com.hazelcast.core.HazelcastInstance;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import java.util.concurrent.CountDownLatch;

/** The other member of the overhead benchmark's cluster: runs this library's and Bucket4j's entry processors. */
public final class PeerMember {
  private PeerMember() {}

  public static void main(String[] args) throws InterruptedException {
    ClusterConnection connection = ClusterConnector.connect(ClusterSettings.fromEnvironment(), PeerMember::register);
    HazelcastInstance member = connection.instance().orElseThrow(() -> new IllegalStateException("no member: " + connection));
    System.out.println("MEMBER " + member.getCluster().getLocalMember().getAddress() + " " + connection.displayName()
        + " joinMs=" + connection.joinTime().toMillis() + " members=" + connection.clusterSize());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      connection.close();
      stopped.countDown();
    }));
    stopped.await();
  }

  /** Both libraries' serializers: neither uses Java serialization on the wire. */
  static void register(com.hazelcast.config.SerializationConfig config) {
    ClusterSerialization.register(config);
    HazelcastProxyManager.addCustomSerializers(config, 10_000);
  }
}
