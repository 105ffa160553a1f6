package io.ratelimit.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.config.SerializationConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.hazelcast.internal.ClientConfigs;
import io.ratelimit.hazelcast.internal.MemberConfigs;
import io.ratelimit.hazelcast.internal.QuietHazelcastLogging;
import io.ratelimit.hazelcast.internal.Redaction;
import io.ratelimit.hazelcast.internal.Rendezvous;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forms, joins or connects to the run's cluster as the settings say, within the join timeout. When that
 * fails for any reason (ports taken, bind refused, join or connect timeout, a missing class), it returns
 * a connection without an instance that says why ({@link ClusterConnection#fallbackReason()}), rather
 * than fail or hang the build; what to do then is the caller's to decide (ratelimit-core's coordinator
 * keeps an embedded run on its run directory, and makes a {@code members} or {@code client} worker try
 * again, then refuse to send: never a share of the limits guessed within one JVM).
 */
public final class ClusterConnector {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterConnector.class);

  private ClusterConnector() {}

  /**
   * Connects this JVM to the run's cluster.
   *
   * @param settings how to connect
   * @param serialization registers the caller's serializable types on the member or client
   * @return the connection; never throws for cluster problems
   */
  public static ClusterConnection connect(ClusterSettings settings, Consumer<SerializationConfig> serialization) {
    return connect(settings, serialization, true);
  }

  /**
   * Connects this JVM to the run's cluster.
   *
   * @param settings how to connect
   * @param serialization registers the caller's serializable types on the member or client
   * @param warnOnFallback whether a failure is logged here (false when the caller says it once for the run)
   * @return the connection; never throws for cluster problems
   */
  public static ClusterConnection connect(ClusterSettings settings, Consumer<SerializationConfig> serialization, boolean warnOnFallback) {
    if (settings.mode() == ClusterMode.LOCAL) {
      return new ClusterConnection(settings, ClusterMode.LOCAL, null, null, Duration.ZERO);
    }
    QuietHazelcastLogging.install();
    long start = System.nanoTime();
    Supplier<HazelcastInstance> create = () -> {
      String clusterName = secretName(settings); // here, on the cluster path only: machine mode never draws a secret
      return switch (settings.mode()) {
        case CLIENT -> HazelcastClient.newHazelcastClient(ClientConfigs.client(settings, clusterName, serialization));
        case MEMBERS -> {
          Rendezvous.requireAFreePort(settings); // a plain reason, not Hazelcast's error and stack trace, for each try
          yield Hazelcast.newHazelcastInstance(MemberConfigs.member(settings, clusterName, serialization));
        }
        default -> Rendezvous.startMember(settings, clusterName, serialization);
      };
    };
    CompletableFuture<HazelcastInstance> starting = CompletableFuture.supplyAsync(() -> create.get(), runnable -> {
      Thread t = new Thread(runnable, "ratelimit-cluster-start");
      t.setDaemon(true);
      t.start();
    });
    try {
      // a little over the join timeout (and the wait for the first member): Hazelcast's own bounds apply
      // first and give the better message
      long waitForFirst = settings.mode() == ClusterMode.EMBEDDED || settings.mode() == ClusterMode.MACHINE ? 10_000 : 0;
      HazelcastInstance instance = starting.get(settings.joinTimeout().toMillis() + 5_000 + waitForFirst, TimeUnit.MILLISECONDS);
      return new ClusterConnection(settings, settings.mode(), instance, null, Duration.ofNanos(System.nanoTime() - start));
    } catch (TimeoutException e) {
      starting.thenAccept(late -> late.getLifecycleService().terminate()); // never leave a stray member behind
      return fallback(settings, "no cluster within PYTEST_CLUSTER_JOIN_TIMEOUT (" + settings.joinTimeout().toSeconds() + " s)",
          warnOnFallback);
    } catch (ExecutionException e) {
      return fallback(settings, describe(e.getCause()), warnOnFallback);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      starting.thenAccept(late -> late.getLifecycleService().terminate());
      return fallback(settings, "interrupted while joining", warnOnFallback);
    }
  }

  /**
   * The Hazelcast name of the run's cluster, which holds its join secret ({@link RunSecret}); hidden behind
   * the display name in whatever Hazelcast logs ({@link Redaction} knows it by its shape).
   */
  private static String secretName(ClusterSettings settings) {
    return RunSecret.of(settings).clusterName(settings.runId());
  }

  private static ClusterConnection fallback(ClusterSettings settings, String reason, boolean warn) {
    if (!warn) {
      return new ClusterConnection(settings, ClusterMode.LOCAL, null, reason, Duration.ZERO);
    }
    if (settings.mode() == ClusterMode.CLIENT) {
      LOG.warn("ratelimit-testkit: could not connect to the cluster {} at {} (PYTEST_CLUSTER_ADDRESS): {}. Check that its members "
          + "run and are reachable, or set PYTEST_CLUSTER_JOIN_TIMEOUT.", settings.displayName(), settings.clientAddresses(), reason);
    } else {
      LOG.warn("ratelimit-testkit: could not form or join the cluster {}: {}. Check that the ports {}-{} are free on {}, or set "
              + "PYTEST_CLUSTER_PORT, PYTEST_CLUSTER_INTERFACE or PYTEST_CLUSTER_JOIN_TIMEOUT.", settings.displayName(), reason,
          settings.basePort(), settings.basePort() + settings.portCount() - 1, settings.bindInterface());
    }
    return new ClusterConnection(settings, ClusterMode.LOCAL, null, reason, Duration.ZERO);
  }

  private static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : ": " + root.getMessage();
    // a reason goes to logs and the report: Hazelcast's own messages may name the cluster
    return Redaction.apply(root instanceof IllegalStateException ? root.getMessage() : root.getClass().getSimpleName() + message);
  }
}
