package io.ratelimit.core.internal.lifecycle;

import io.ratelimit.hazelcast.ClusterMode;
import io.ratelimit.hazelcast.ClusterSettings;
import java.time.Duration;

/**
 * What a {@code members} or {@code client} worker says when it has no cluster and so refuses to send:
 * which cluster it looked for and where (with the settings that say so), for how long, why it sends
 * nothing, and what to check.
 */
public final class NoCluster {
  private NoCluster() {}

  /** {@code join} for a member, {@code connect to} for a client. */
  public static String verb(ClusterSettings settings) {
    return settings.mode() == ClusterMode.CLIENT ? "connect" : "join";
  }

  /**
   * The refusal, e.g. {@code ratelimit-testkit: could not connect to the run's cluster ratelimit-x at 10.0.0.5:5701
   * (PYTEST_CLUSTER_ADDRESS) within PYTEST_CLUSTER_JOIN_TIMEOUT (10 s): <reason>. This JVM sends ...}.
   *
   * @param lost how the cluster was lost, or null when it was never had (at start-up)
   * @param reason the connector's reason for the last try
   */
  public static String message(ClusterSettings settings, String lost, String reason) {
    boolean client = settings.mode() == ClusterMode.CLIENT;
    String cluster = "the run's cluster " + settings.displayName() + (client
        ? " at " + String.join(",", settings.clientAddresses()) + " (PYTEST_CLUSTER_ADDRESS)"
        : " with the members " + String.join(",", settings.members()) + " (PYTEST_CLUSTER_MEMBERS), as a member on "
            + settings.bindInterface() + " (PYTEST_CLUSTER_INTERFACE)");
    String what = lost == null
        ? "could not " + (client ? "connect to " : "join ") + cluster
        : "lost " + cluster + " (" + oneLine(lost) + ") and could not " + verb(settings) + " again";
    String check = client
        ? "Check that the cluster's members run (with ratelimit-core on their class path and this run's PYTEST_RUN_ID, "
            + settings.runId() + ", and join secret: the same PYTEST_CLUSTER_SECRET, or the run directory's on their machine) "
            + "and that this machine reaches them at PYTEST_CLUSTER_ADDRESS"
        : "Check that PYTEST_CLUSTER_INTERFACE is an address of this machine, that the ports " + settings.basePort() + "-"
            + (settings.basePort() + settings.portCount() - 1) + " (PYTEST_CLUSTER_PORT, PYTEST_CLUSTER_PORT_COUNT) are free on it "
            + "and open between the machines, and that every machine has this run's PYTEST_RUN_ID (" + settings.runId() + ") and the same "
            + "PYTEST_CLUSTER_SECRET";
    return "ratelimit-testkit: " + what + " within PYTEST_CLUSTER_JOIN_TIMEOUT (" + seconds(settings.joinTimeout()) + " s): "
        + oneLine(reason) + ". This JVM sends no request and takes no lease, each fails with this message, rather than guess "
        + "its share of the limits that the run's other JVMs keep in that cluster. " + check
        + "; or raise PYTEST_CLUSTER_JOIN_TIMEOUT. (PYTEST_CLUSTER_MODE=local is for a run of one JVM only.)";
  }

  /** The short form, for the statistics and the report. */
  public static String coordination(ClusterSettings settings, String reason) {
    return "none: no cluster " + settings.displayName() + " (" + oneLine(reason) + "); requests refused";
  }

  /** Hazelcast's reasons may span lines and end with a full stop: one line, without it. */
  private static String oneLine(String reason) {
    String line = reason.replaceAll("\\s+", " ").trim();
    return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
  }

  /** {@code 10}, or {@code 0.5}: as the setting was given. */
  public static String seconds(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? Long.toString(millis / 1000) : java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
  }
}
