package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.ratelimit.core.internal.leases.LeaseTable;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases on shared resources across real worker JVMs of one embedded cluster. Overlaps are detected by
 * the resource itself: a holder creates a file named after what it holds with CREATE_NEW, which fails
 * if another holder's file is still there.
 */
class ResourceLeasesTest {
  private static final Duration BOUND = Duration.ofSeconds(90);

  private final List<ForkedJvm> workers = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private RateLimitCoordinator observer;
  @TempDir
  Path dir;

  @BeforeEach
  void cluster() throws IOException {
    env.put("PYTEST_RUN_ID", "leases-" + UUID.randomUUID());
    env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(10)));
    env.put("PYTEST_CLUSTER_PORT_COUNT", "10");
    env.put("PYTEST_RESOURCE_POOLS", "repos=repo-1..repo-5");
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ForkedJvm worker : workers) {
      worker.close();
    }
    if (observer != null) {
      observer.close();
    }
  }

  private ForkedJvm worker(String name, Map<String, String> extra) throws IOException {
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PYTEST_WORKER_ID", name);
    workerEnv.putAll(extra);
    ForkedJvm jvm = ForkedJvm.start(name, LeaseWorker.class, workerEnv);
    workers.add(jvm);
    return jvm;
  }

  private RateLimitCoordinator observe(int clusterSize) {
    observer = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env));
    Await.until(() -> observer.clusterSize() == clusterSize, BOUND, clusterSize + " JVMs form one cluster");
    return observer;
  }

  private static Map<String, Integer> done(ForkedJvm worker) {
    String line = worker.awaitValue("DONE", Duration.ofMinutes(4));
    Map<String, Integer> out = new HashMap<>();
    for (String part : line.split(" ")) {
      String[] kv = part.split("=");
      if (kv[1].matches("[0-9]+")) {
        out.put(kv[0], Integer.parseInt(kv[1]));
      }
    }
    return out;
  }

  @Test
  void anExclusiveResourceIsUsedByOneHolderAtATimeAcrossJvms() throws Exception {
    for (int w = 1; w <= 3; w++) {
      worker("w" + w, Map.of()).awaitLine(l -> l.startsWith("READY"), BOUND);
    }
    observe(4);
    for (ForkedJvm w : workers) {
      w.tell("EXCLUSIVE billing-account 2 15 " + dir);
    }
    int uses = 0;
    for (ForkedJvm w : workers) {
      Map<String, Integer> done = done(w);
      assertEquals(0, done.get("overlaps"), w.output());
      uses += done.get("uses");
    }
    assertEquals(3 * 2 * 15, uses);
    assertTrue(workers.stream().anyMatch(w -> w.output().matches("(?s).*billing-account=LeaseWaitStats\\[acquisitions=30, unavailable=0.*")),
        "each worker counted its 30 acquisitions: " + workers.get(0).output());
    assertTrue(observer.leases("check").list().isEmpty(), "every lease ended: " + observer.leases("check").list());
  }

  @Test
  void aPoolNeverHandsOutAnItemTwice() throws Exception {
    for (int w = 1; w <= 3; w++) {
      worker("w" + w, Map.of()).awaitLine(l -> l.startsWith("READY"), BOUND);
    }
    observe(4);
    for (ForkedJvm w : workers) {
      w.tell("POOL repos 2 2 15 " + dir); // 6 threads want 2 of 5 items: at most 2 hold at once
    }
    int uses = 0;
    for (ForkedJvm w : workers) {
      Map<String, Integer> done = done(w);
      assertEquals(0, done.get("overlaps"), w.output());
      uses += done.get("uses");
    }
    assertEquals(90, uses);
    try (Stream paths = new Stream(dir)) {
      assertEquals(0, paths.count(), "every holder removed its files");
    }
    assertTrue(observer.leases("check").list().isEmpty());
  }

  /** Files left in a directory. */
  private static final class Stream implements AutoCloseable {
    private final java.util.stream.Stream<Path> files;

    Stream(Path dir) throws IOException {
      files = Files.list(dir);
    }

    long count() {
      return files.count();
    }

    @Override
    public void close() {
      files.close();
    }
  }

  @Test
  void whenTooFewPoolItemsAreFreeTheMessageSaysHowManyAndWhoHoldsTheRest() throws Exception {
    ForkedJvm holder = worker("holder", Map.of());
    holder.awaitLine(l -> l.startsWith("READY"), BOUND);
    RateLimitCoordinator coordinator = observe(2);
    holder.tell("HOLDPOOL repos 4");
    assertTrue(holder.awaitValue("HELD", BOUND).startsWith("[repo-1, repo-2, repo-3, repo-4]"), holder.output());

    LeaseUnavailableException e = assertThrows(LeaseUnavailableException.class,
        () -> coordinator.leases("Needy#test").acquireFromPool(coordinator.leases("x").pool("repos"), 2, Duration.ofMillis(300)));
    assertEquals(1, e.free());
    assertEquals(4, e.holders().size());
    assertTrue(e.getMessage().contains("needs 2 of pool 'repos' (5 items) but only 1 was free"), e.getMessage());
    assertTrue(e.getMessage().contains("repo-1 by holder/Holder#hold"), e.getMessage());
    assertEquals(1, coordinator.leaseWaits().get("pool repos").unavailable());

    try (ResourceLease one = coordinator.leases("Modest#test").acquireFromPool("repos", 1)) {
      assertEquals(List.of("repo-5"), one.resources(), "one item was free: it is handed out at once");
    }
  }

  @Test
  void theLeasesOfAKilledHolderComeBack() throws Exception {
    ForkedJvm holder = worker("holder", Map.of());
    holder.awaitLine(l -> l.startsWith("READY"), BOUND);
    RateLimitCoordinator coordinator = observe(2);
    holder.tell("HOLD billing-account");
    holder.awaitLine(l -> l.startsWith("HELD"), BOUND);

    LeaseUnavailableException held = assertThrows(LeaseUnavailableException.class,
        () -> coordinator.leases("Waiter#test").acquire("billing-account", Duration.ofMillis(200)));
    assertTrue(held.getMessage().contains("held: billing-account by holder/Holder#hold"), held.getMessage());

    holder.kill9();
    // the member is declared dead after the 5 s heartbeat timeout and its leases go with it
    try (ResourceLease lease = coordinator.leases("Waiter#test").acquire("billing-account", Duration.ofSeconds(30))) {
      assertEquals(List.of("billing-account"), lease.resources());
    }
  }

  @Test
  void aLeaseEndsAtItsTimeoutEvenIfItsHolderLivesOn() throws Exception {
    ForkedJvm holder = worker("holder", Map.of("PYTEST_LEASE_TIMEOUT", "2"));
    holder.awaitLine(l -> l.startsWith("READY"), BOUND);
    RateLimitCoordinator coordinator = observe(2);
    holder.tell("HOLD billing-account");
    String held = holder.awaitValue("HELD", BOUND);
    LeaseInfo info = coordinator.leases("x").list().get(0);
    assertEquals("holder/Holder#hold", info.owner());
    assertEquals(Duration.ofSeconds(2), Duration.between(info.since(), info.expiresAt()), held);

    try (ResourceLease lease = coordinator.leases("Waiter#test").acquire("billing-account", Duration.ofSeconds(30))) {
      assertTrue(Duration.between(info.since(), lease.since()).toMillis() >= 1900, "granted only once the lease expired");
      holder.tell("RELEASE");
      holder.awaitLine(l -> l.startsWith("RELEASED"), BOUND);
      assertTrue(holder.output().contains("lost its lease on [billing-account]"), holder.output());
      assertEquals("x/Waiter#test".replace("x", coordinator.workerId()), coordinator.leases("x").list().get(0).owner(),
          "the late release of the expired lease did not end the new one");
    }
  }

  @Test
  void expiredLeasesAreClearedWhenAWorkerStarts() throws Exception {
    ForkedJvm member = ForkedJvm.start("member", ClusterMember.class, env);
    workers.add(member);
    String address = member.awaitValue("MEMBER", BOUND).split(" ")[0].replace("[", "").replace("]", "");
    Map<String, String> clientEnv = new HashMap<>(env);
    clientEnv.put("PYTEST_CLUSTER_MODE", "client");
    clientEnv.put("PYTEST_CLUSTER_ADDRESS", address);
    try (ClusterConnection client = ClusterConnector.connect(ClusterSettings.from(SettingsSource.ofEnvironment(clientEnv)),
        ClusterSerialization::register)) {
      HazelcastInstance hz = client.instance().orElseThrow();
      long now = System.currentTimeMillis();
      LeaseTable stale = new LeaseTable();
      stale.take(List.of("billing-account"), 1, new LeaseTable.Lease("old", "w9/Crashed#test", "gone", now - 60_000, now - 30_000, now - 30_000));
      hz.<String, LeaseTable>getMap("ratelimit.leases").set("resource/billing-account", stale);

      observer = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env)); // joins the member's cluster
      Await.until(() -> observer.clusterSize() == 2, BOUND, "the worker joined the member");
      assertNull(hz.getMap("ratelimit.leases").get("resource/billing-account"), "the expired lease was cleared at start");
    }
  }

  @Test
  void theLeaseCommandListsLeasesAndFreesOne() throws Exception {
    ForkedJvm holder = worker("holder", Map.of());
    holder.awaitLine(l -> l.startsWith("READY"), BOUND);
    holder.tell("HOLD billing-account");
    holder.awaitLine(l -> l.startsWith("HELD"), BOUND);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, LeaseCommand.run(new String[] {"list"}, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString(StandardCharsets.UTF_8));
    String listing = out.toString(StandardCharsets.UTF_8);
    assertTrue(listing.startsWith("RESOURCE"), listing);
    assertTrue(listing.matches("(?s).*billing-account +- +holder/Holder#hold +20[0-9-]+T[0-9:]+Z +[0-9]+ s +20.*"), listing);

    out.reset();
    assertEquals(0, LeaseCommand.run(new String[] {"free", "billing-account"}, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("freed billing-account held by holder/Holder#hold"), out.toString(StandardCharsets.UTF_8));
    assertEquals(1, LeaseCommand.run(new String[] {"free", "billing-account"}, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)));

    Map<String, String> noRun = new HashMap<>(env);
    noRun.remove("PYTEST_RUN_ID");
    assertEquals(2, LeaseCommand.run(new String[] {"list"}, noRun, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertEquals(2, LeaseCommand.run(new String[] {"lst"}, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)));
  }
}
