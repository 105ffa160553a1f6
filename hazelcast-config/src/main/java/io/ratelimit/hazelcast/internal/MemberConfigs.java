package io.ratelimit.hazelcast.internal;

import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SerializationConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import io.ratelimit.hazelcast.ClusterMode;
import io.ratelimit.hazelcast.ClusterSettings;
import java.util.List;
import java.util.function.Consumer;

/**
 * The configuration of an embedded member: bound to one interface (loopback by default), finding peers
 * over TCP-IP only, with nothing else switched on, and tuned for a test run: joins in well under a
 * second, notices a dead member within about five seconds.
 */
public final class MemberConfigs {
  /** Few partitions: the state is a handful of entries, and fewer partitions start and migrate faster. */
  static final int PARTITIONS = 23;

  private MemberConfigs() {}

  /**
   * A member configuration for {@code settings} in members mode (or embedded mode, finding peers on the port
   * range), in the cluster named {@code clusterName} (the secret name: see {@code RunSecret}).
   */
  public static Config member(ClusterSettings settings, String clusterName, Consumer<SerializationConfig> serialization) {
    List<String> peers = settings.mode() == ClusterMode.MEMBERS ? settings.members() : List.of(settings.bindInterface());
    return member(settings, clusterName, serialization, peers);
  }

  /**
   * A member configuration that joins {@code peers} (exact addresses, or hosts whose whole port range is
   * tried); with no peers, the member forms the cluster alone at once.
   */
  public static Config member(ClusterSettings settings, String clusterName, Consumer<SerializationConfig> serialization,
      List<String> peers) {
    Config config = new Config();
    config.setClusterName(clusterName);
    config.setInstanceName("ratelimit-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    tune(config, settings);

    NetworkConfig network = config.getNetworkConfig();
    String bind = settings.bindInterface();
    network.setPort(settings.basePort()).setPortCount(settings.portCount()).setPortAutoIncrement(true);
    network.setPublicAddress(bind);
    network.getInterfaces().setEnabled(true).addInterface(bind);
    network.getRestApiConfig().setEnabled(false);
    network.getMemcacheProtocolConfig().setEnabled(false);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(1);
    peers.forEach(peer -> join.getTcpIpConfig().addMember(peer));

    config.getJetConfig().setEnabled(false);
    config.getMetricsConfig().setEnabled(false); // nothing reads them; collecting them costs CPU every few seconds
    // the limiter's maps: one synchronous backup, so a member's death loses no shared state; kept as objects,
    // so an entry processor (every admission) works on the table as it is, not on a copy read from bytes and
    // written back (the wire and the backup still carry bytes)
    config.addMapConfig(new MapConfig("ratelimit.*").setBackupCount(1).setAsyncBackupCount(0).setReadBackupData(false)
        .setInMemoryFormat(com.hazelcast.config.InMemoryFormat.OBJECT));

    SerializationConfig serializationConfig = config.getSerializationConfig();
    serializationConfig.setJavaSerializationFilterConfig(new JavaSerializationFilterConfig().setDefaultsDisabled(false));
    serialization.accept(serializationConfig);
    return config;
  }

  private static void tune(Config config, ClusterSettings settings) {
    long joinSeconds = Math.max(1, settings.joinTimeout().toSeconds());
    config.setProperty("hazelcast.logging.type", "slf4j"); // see QuietHazelcastLogging: warnings only, unless the user asks
    // no "[address] [cluster name] [version]" before every line: the cluster name holds the join secret
    config.setProperty(ClusterProperty.LOGGING_ENABLE_DETAILS.getName(), "false");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false"); // the limiter flushes its counters first
    config.setProperty("hazelcast.socket.bind.any", "false");
    // No waiting before settling on a master: a fork joins at once. Forks that start at the very same
    // moment may each become a master for a few seconds; the split-brain check merges them (every 5 s).
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.join.seconds", Long.toString(joinSeconds));
    config.setProperty("hazelcast.tcp.join.port.try.count", Integer.toString(settings.portCount()));
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(ClusterSettings.HEARTBEAT_TIMEOUT.toSeconds()));
    config.setProperty("hazelcast.member.list.publish.interval.seconds", "5");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    config.setProperty("hazelcast.partition.count", Integer.toString(PARTITIONS));
    config.setProperty("hazelcast.operation.call.timeout.millis", "10000");
    // An operation whose target left is retried while the partition table settles; Hazelcast's budget
    // (250 retries, 500 ms apart) can stall a request for two minutes when two members leave at once.
    // 30 retries bound that to about 15 s, after which the limiter counts the cluster as lost and joins it
    // again (or refuses to send), with a warning.
    config.setProperty("hazelcast.invocation.max.retry.count", "30");
    config.setProperty("hazelcast.invocation.retry.pause.millis", "500");
    config.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
    config.setProperty("hazelcast.health.monitoring.level", "OFF");
    // two partition threads are plenty for a handful of entries. The IO, generic and event pools keep
    // Hazelcast's defaults: with one thread each, when a member stopped answering (a long GC pause) while
    // the run was busy, the healthy members missed each other's heartbeats too and split into clusters of
    // one, each keeping the limits alone (RunFormationTest, the pause under load: about half the rounds)
    config.setProperty("hazelcast.partition.operation.thread.count", "2");
    config.setProperty("hazelcast.query.predicate.parallel.evaluation", "false");
  }
}
