package io.ratelimit.hazelcast.internal;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.SerializationConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import io.ratelimit.hazelcast.ClusterSettings;
import java.util.function.Consumer;

/** The configuration of a client of an existing cluster, every wait bounded by the join timeout. */
public final class ClientConfigs {
  private ClientConfigs() {}

  /** A client configuration for {@code settings} (client mode), of the cluster named {@code clusterName} (the secret name). */
  public static ClientConfig client(ClusterSettings settings, String clusterName, Consumer<SerializationConfig> serialization) {
    ClientConfig config = new ClientConfig();
    config.setClusterName(clusterName);
    config.setInstanceName("ratelimit-client-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    config.setProperty("hazelcast.logging.type", "slf4j");
    // a client reads the same property as a member: no cluster name (which holds the join secret) before every line
    config.setProperty(ClusterProperty.LOGGING_ENABLE_DETAILS.getName(), "false");
    config.setProperty("hazelcast.client.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.client.heartbeat.interval", "1000");
    config.setProperty("hazelcast.client.heartbeat.timeout", Long.toString(ClusterSettings.HEARTBEAT_TIMEOUT.toMillis()));
    config.setProperty("hazelcast.client.invocation.timeout.seconds", "10");
    config.getNetworkConfig().setAddresses(settings.clientAddresses()).setConnectionTimeout(2000).setSmartRouting(true);
    ClientConnectionStrategyConfig strategy = config.getConnectionStrategyConfig();
    strategy.setAsyncStart(false);
    strategy.setReconnectMode(ClientConnectionStrategyConfig.ReconnectMode.ON);
    strategy.getConnectionRetryConfig()
        .setClusterConnectTimeoutMillis(settings.joinTimeout().toMillis())
        .setInitialBackoffMillis(200)
        .setMaxBackoffMillis(1000);
    SerializationConfig serializationConfig = config.getSerializationConfig();
    serializationConfig.setJavaSerializationFilterConfig(new JavaSerializationFilterConfig().setDefaultsDisabled(false));
    serialization.accept(serializationConfig);
    return config;
  }
}
