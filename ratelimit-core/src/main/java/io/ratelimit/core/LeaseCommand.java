package io.ratelimit.core;

import io.ratelimit.core.internal.leases.LeaseBroker;
import io.ratelimit.core.internal.leases.LeaseStore;
import io.ratelimit.core.internal.rundir.RunDirectoryState;
import io.ratelimit.hazelcast.RunDirectory;
import java.nio.file.Files;
import io.ratelimit.core.internal.leases.LeaseSettings;
import io.ratelimit.core.internal.cluster.ClusterLeaseStore;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.settings.InvalidSettingsException;
import io.ratelimit.settings.SettingsSource;
import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lists the leases of a running test run, or ends one: connects to the run's cluster as a client.
 *
 * <pre>
 * PYTEST_RUN_ID=nightly-42 java -cp ... io.ratelimit.core.LeaseCommand list
 * PYTEST_RUN_ID=nightly-42 java -cp ... io.ratelimit.core.LeaseCommand free billing-account
 * </pre>
 *
 * <p>{@code PYTEST_RUN_ID} names the run (set it on the build to know it in advance; workers log it when
 * {@code PYTEST_DEBUG=true}). A run on this machine that works in its run directory (machine mode, the
 * default) is read there; otherwise the cluster is looked for at
 * {@code PYTEST_CLUSTER_ADDRESS}, by default on this machine's loopback ports {@code PYTEST_CLUSTER_PORT} onwards, with the
 * run's join secret ({@code PYTEST_CLUSTER_SECRET}, or the run directory's on the run's machine). Exit status: 0 done, 1 nothing to
 * free, 2 bad usage or no cluster.
 */
public final class LeaseCommand {
  private static final String USAGE = "usage: LeaseCommand list | LeaseCommand free <resource>   (with PYTEST_RUN_ID set to the run's id)";

  private LeaseCommand() {}

  /** Runs the command and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /**
   * Runs the command against the cluster {@code environment}'s {@code PYTEST_*} variables describe.
   *
   * @return the exit status
   */
  public static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    boolean list = args.length == 1 && args[0].equals("list");
    boolean free = args.length == 2 && args[0].equals("free");
    if (!list && !free) {
      err.println(USAGE);
      return 2;
    }
    if (!environment.containsKey("PYTEST_RUN_ID")) {
      err.println("PYTEST_RUN_ID is not set: set it to the id of the run to inspect (set it on the build to know it in advance)");
      return 2;
    }
    ClusterSettings settings;
    ClusterSettings onThisMachine;
    try {
      settings = ClusterSettings.from(SettingsSource.ofEnvironment(asClient(environment)));
      onThisMachine = ClusterSettings.from(SettingsSource.ofEnvironment(environment));
    } catch (InvalidSettingsException e) {
      err.println(e.getMessage());
      return 2;
    }
    // a run on this machine in machine mode keeps its leases in the run directory
    if (!environment.containsKey("PYTEST_CLUSTER_ADDRESS") && Files.isDirectory(onThisMachine.runDirectory())) {
      try {
        return command(RunDirectoryState.observer(RunDirectory.at(onThisMachine.runDirectory())).leases(), args, out);
      } catch (RunDirectoryState.InItsCluster inItsCluster) {
        // an embedded run, or one a standalone member declared: its leases are in its cluster
      }
    }
    try (ClusterConnection connection = ClusterConnector.connect(settings, ClusterSerialization::register)) {
      if (connection.instance().isEmpty()) {
        List<String> at = settings.clientAddresses();
        err.println("no cluster of run " + settings.runId() + " at " + (at.size() > 3 ? at.get(0) + " .. " + at.get(at.size() - 1) : at)
            + ": " + connection.fallbackReason().orElse("not reachable") + " (is the run still going, with this PYTEST_RUN_ID?)");
        return 2;
      }
      try (ClusterLeaseStore store = new ClusterLeaseStore(connection.instance().get())) {
        return command(store, args, out);
      }
    }
  }

  private static int command(LeaseStore store, String[] args, PrintStream out) {
    ResourceLeases leases = new LeaseBroker(store, "leases-command", LeaseSettings.DEFAULTS)
        .forOwner(System.getProperty("user.name", "someone"));
    if (args[0].equals("list")) {
      out.print(table(leases.list(), Instant.now()));
      return 0;
    }
    List<LeaseInfo> freed = leases.free(args[1]);
    if (freed.isEmpty()) {
      out.println("no lease on " + args[1]);
      return 1;
    }
    freed.forEach(lease -> out.println("freed " + lease));
    return 0;
  }

  /** Client mode, at the loopback port range unless an address is given. */
  private static Map<String, String> asClient(Map<String, String> environment) {
    Map<String, String> env = new HashMap<>(environment);
    env.put("PYTEST_CLUSTER_MODE", "client");
    if (!env.containsKey("PYTEST_CLUSTER_ADDRESS")) {
      int port = Integer.parseInt(env.getOrDefault("PYTEST_CLUSTER_PORT", "5801").trim());
      int count = Integer.parseInt(env.getOrDefault("PYTEST_CLUSTER_PORT_COUNT", "32").trim());
      List<String> addresses = new ArrayList<>();
      for (int p = port; p < port + count && p <= 65_535; p++) {
        addresses.add("127.0.0.1:" + p);
      }
      env.put("PYTEST_CLUSTER_ADDRESS", String.join(",", addresses));
    }
    return env;
  }

  /** The leases as a table: resource, pool, owner, since, held, expires. */
  static String table(List<LeaseInfo> leases, Instant now) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RESOURCE", "POOL", "OWNER", "SINCE", "HELD", "EXPIRES"});
    for (LeaseInfo l : leases) {
      rows.add(new String[] {l.resource(), l.pool() == null ? "-" : l.pool(), l.owner(), l.since().truncatedTo(ChronoUnit.SECONDS).toString(),
          l.heldFor(now).toSeconds() + " s", l.expiresAt().truncatedTo(ChronoUnit.SECONDS).toString()});
    }
    int[] widths = new int[6];
    rows.forEach(r -> {
      for (int i = 0; i < r.length; i++) {
        widths[i] = Math.max(widths[i], r[i].length());
      }
    });
    StringBuilder text = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        text.append(i == r.length - 1 ? r[i] : String.format("%-" + (widths[i] + 2) + "s", r[i]));
      }
      text.append('\n');
    }
    if (leases.isEmpty()) {
      text.append("(no leases)\n");
    }
    return text.toString();
  }
}
