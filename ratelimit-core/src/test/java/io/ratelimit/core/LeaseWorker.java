package io.ratelimit.core;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A worker JVM for the lease tests: joins the run's cluster (PYTEST_* environment), says {@code READY},
 * then obeys commands on stdin:
 * <ul>
 *   <li>{@code EXCLUSIVE resource threads times dir}: each thread, {@code times} times, leases the resource
 *       and, while holding it, creates {@code dir/resource} with CREATE_NEW (it fails if another holder's
 *       file is there: an overlap), keeps it a moment, deletes it; prints {@code DONE uses=.. overlaps=..}
 *   <li>{@code POOL pool count threads times dir}: the same with {@code count} items of a pool
 *   <li>{@code HOLD resource}: leases it and keeps it; prints {@code HELD}
 *   <li>{@code HOLDPOOL pool count}: leases {@code count} items of the pool and keeps them; prints {@code HELD}
 *   <li>{@code RELEASE}: ends the held lease; prints {@code RELEASED}
 * </ul>
 */
public final class LeaseWorker {
  private LeaseWorker() {}

  public static void main(String[] args) throws Exception {
    RateLimitCoordinator coordinator = RateLimitedClients.coordinator();
    System.out.println("READY " + coordinator.statistics().coordination());
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    ResourceLease held = null;
    for (String line; (line = stdin.readLine()) != null; ) {
      String[] c = line.split(" ");
      switch (c[0]) {
        case "EXCLUSIVE":
          use(coordinator, c[1], 0, Integer.parseInt(c[2]), Integer.parseInt(c[3]), Path.of(c[4]));
          break;
        case "POOL":
          use(coordinator, c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]), Integer.parseInt(c[4]), Path.of(c[5]));
          break;
        case "HOLD":
          held = coordinator.leases("Holder#hold").acquire(c[1], Duration.ofSeconds(60));
          System.out.println("HELD " + held.resources() + " until " + held.expiresAt());
          break;
        case "HOLDPOOL":
          held = coordinator.leases("Holder#hold").acquireFromPool(c[1], Integer.parseInt(c[2]));
          System.out.println("HELD " + held.resources() + " until " + held.expiresAt());
          break;
        case "RELEASE":
          held.close();
          System.out.println("RELEASED");
          break;
        default:
          System.out.println("UNKNOWN " + line);
      }
    }
  }

  /** Uses the resource (count 0) or {@code count} items of the pool {@code name}, checking for overlaps through files. */
  private static void use(RateLimitCoordinator coordinator, String name, int count, int threads, int times, Path dir) throws Exception {
    AtomicInteger uses = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      done.add(pool.submit(() -> {
        ResourceLeases leases = coordinator.leases("Test#thread" + thread);
        for (int i = 0; i < times; i++) {
          try (ResourceLease lease = count == 0 ? leases.acquire(name, Duration.ofSeconds(120)) : leases.acquireFromPool(name, count)) {
            List<Path> mine = new ArrayList<>();
            for (String resource : lease.resources()) {
              try {
                mine.add(Files.createFile(dir.resolve(resource)));
              } catch (FileAlreadyExistsException overlap) {
                overlaps.incrementAndGet();
                System.out.println("OVERLAP " + resource + " " + lease);
              }
            }
            uses.incrementAndGet();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            for (Path p : mine) {
              Files.delete(p);
            }
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    System.out.println("DONE uses=" + uses + " overlaps=" + overlaps + " waits=" + coordinator.leaseWaits());
  }
}
