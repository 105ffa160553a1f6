package io.ratelimit.hazelcast.internal;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.SerializationConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.hazelcast.RunDirectory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * How the embedded members of one run on one machine find each other without a race: through the run
 * directory. Under its rendezvous lock, the first JVM (no live member listed) starts the cluster alone and
 * lists its address; every later JVM reads the live members' addresses and joins them directly, then lists
 * its own. So two members of a run never both start a cluster, a dead first member is replaced by any live
 * one listed, and no port range is scanned. Another build's run directory is another directory.
 */
public final class Rendezvous {
  static final String LOCK = "rendezvous";
  static final String MEMBERS = "members";

  private Rendezvous() {}

  /**
   * Starts this JVM's member of the run's cluster, named {@code clusterName} (the secret name): the first one,
   * or one joining the members listed.
   */
  public static HazelcastInstance startMember(ClusterSettings settings, String clusterName, Consumer<SerializationConfig> serialization) {
    RunDirectory dir = RunDirectory.of(settings);
    requireAFreePort(settings);
    // the first member's start happens under the lock, so the others wait for it: a bound beyond the join timeout
    Duration bound = settings.joinTimeout().plusSeconds(10);
    for (int attempt = 1; ; attempt++) {
      HazelcastInstance[] first = new HazelcastInstance[1];
      List<String> peers = dir.locked(LOCK, bound, () -> {
        List<String> live = liveAddresses(dir);
        if (live.isEmpty()) {
          first[0] = Hazelcast.newHazelcastInstance(MemberConfigs.member(settings, clusterName, serialization, List.of()));
          list(dir, first[0]);
        }
        return live;
      });
      if (first[0] != null) {
        return first[0];
      }
      HazelcastInstance joined = Hazelcast.newHazelcastInstance(MemberConfigs.member(settings, clusterName, serialization, peers));
      boolean lastAttempt = attempt >= 3;
      try {
        boolean listed = dir.locked(LOCK, bound, () -> {
          // Alone although peers were listed: they died before it reached them. If another member has
          // listed itself since, join that one instead of standing apart; if none, this one is the first.
          if (joined.getCluster().getMembers().size() == 1 && !liveAddresses(dir).isEmpty() && !lastAttempt) {
            return false;
          }
          list(dir, joined);
          return true;
        });
        if (listed) {
          return joined;
        }
      } catch (RuntimeException e) {
        joined.getLifecycleService().terminate();
        throw e;
      }
      joined.getLifecycleService().terminate();
    }
  }

  /**
   * Fails with a plain reason when no port of the range can be bound (all taken, or an interface this
   * machine does not have), rather than let Hazelcast log the failure as an error with its stack trace.
   */
  public static void requireAFreePort(ClusterSettings settings) {
    IOException last = null;
    for (int port = settings.basePort(); port < settings.basePort() + settings.portCount(); port++) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.bind(new InetSocketAddress(settings.bindInterface(), port), 1);
        return;
      } catch (IOException taken) {
        last = taken;
      }
    }
    throw new IllegalStateException("no port of " + settings.basePort() + "-" + (settings.basePort() + settings.portCount() - 1)
        + " on " + settings.bindInterface() + " can be bound (" + (last == null ? "none" : last.getMessage()) + ")");
  }

  /** The addresses of the members listed whose JVM still lives. */
  static List<String> liveAddresses(RunDirectory dir) {
    List<String> live = new ArrayList<>();
    for (String[] entry : entries(dir)) {
      live.add(entry[1]);
    }
    return live;
  }

  private static List<String[]> entries(RunDirectory dir) {
    List<String[]> entries = new ArrayList<>();
    for (String line : dir.read(MEMBERS).orElse("").split("\n")) {
      String[] parts = line.trim().split(" ");
      if (parts.length == 2 && isLive(parts[0], parts[1])) {
        entries.add(parts);
      }
    }
    return entries;
  }

  /**
   * A member listed by another process lives while that process does. One listed by this process lives
   * only while this JVM still runs a member at that address: a JVM that left its member (it lost the run's
   * cluster, or was frozen past the heartbeat timeout) and joins again must not wait for its old self.
   */
  private static boolean isLive(String process, String address) {
    if (!process.equals(RunDirectory.thisProcess())) {
      return RunDirectory.isAlive(process);
    }
    for (HazelcastInstance member : Hazelcast.getAllHazelcastInstances()) {
      try {
        Address local = member.getCluster().getLocalMember().getAddress();
        if (member.getLifecycleService().isRunning() && address.equals(local.getHost() + ":" + local.getPort())) {
          return true;
        }
      } catch (RuntimeException stopping) {
        // not running
      }
    }
    return false;
  }

  /** Lists {@code member} beside the live ones (dead ones are dropped). Called under the lock. */
  private static void list(RunDirectory dir, HazelcastInstance member) {
    Address address = member.getCluster().getLocalMember().getAddress();
    StringBuilder text = new StringBuilder();
    for (String[] entry : entries(dir)) {
      text.append(entry[0]).append(' ').append(entry[1]).append('\n');
    }
    text.append(RunDirectory.thisProcess()).append(' ').append(address.getHost()).append(':').append(address.getPort()).append('\n');
    dir.write(MEMBERS, text.toString());
  }
}
