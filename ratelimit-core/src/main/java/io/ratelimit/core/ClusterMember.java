package io.ratelimit.core;

import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterMode;
import io.ratelimit.hazelcast.RunDirectory;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import java.util.concurrent.CountDownLatch;

/**
 * A standalone member of a run's cluster, for workers in client mode ({@code PYTEST_CLUSTER_MODE=client}),
 * e.g. a service that several CI jobs share. It runs the limiter's entry processors, so it needs this
 * library on its class path: {@code java -cp ratelimit-core.jar:... io.ratelimit.core.ClusterMember}.
 * Configured by the same {@code PYTEST_CLUSTER_*} variables (mode {@code machine}, the default, or {@code embedded}: a member on loopback, which the run's workers then join; or {@code members});
 * it runs until the JVM is stopped. Its cluster's join secret is {@code PYTEST_CLUSTER_SECRET} when set (give the
 * workers the same), else the run directory's, which it draws (or reads) and which client-mode workers on this
 * machine read (see {@link io.ratelimit.hazelcast.RunSecret}); its printed line names the cluster without it.
 */
public final class ClusterMember {
  private ClusterMember() {}

  /** Starts the member and keeps it running. */
  public static void main(String[] args) throws InterruptedException {
    ClusterSettings settings = ClusterSettings.fromEnvironment();
    boolean onThisMachine = settings.mode() == ClusterMode.EMBEDDED || settings.mode() == ClusterMode.MACHINE;
    if (onThisMachine) {
      RunDirectory.of(settings).enter(RunDirectory.thisProcess() + "#member"); // listed as the run's for as long as it runs: no worker retires the run under it
    }
    ClusterConnection connection = ClusterConnector.connect(settings, ClusterSerialization::register);
    HazelcastInstance member = connection.instance()
        .orElseThrow(() -> new IllegalStateException("no cluster member could start: " + connection.fallbackReason().orElse(settings.mode().toString())));
    if (onThisMachine) {
      // workers in client mode use this member without a run directory: embedded workers must join it too
      RunDirectoryState.declareCluster(RunDirectory.of(settings));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      connection.close();
      stopped.countDown();
    }, "ratelimit-member-shutdown"));
    System.out.println("MEMBER " + member.getCluster().getLocalMember().getAddress() + " " + connection.displayName()
        + " joinMs=" + connection.joinTime().toMillis() + " members=" + connection.clusterSize());
    stopped.await();
  }
}
