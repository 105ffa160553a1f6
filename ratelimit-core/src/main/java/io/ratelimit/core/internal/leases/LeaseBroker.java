package io.ratelimit.core.internal.leases;

import io.ratelimit.core.internal.jvm.FreezeDetector;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.LeaseInfo;
import io.ratelimit.core.LeaseUnavailableException;
import io.ratelimit.core.LeaseWaitStats;
import io.ratelimit.core.ResourceLease;
import io.ratelimit.core.ResourceLeases;
import io.ratelimit.core.ResourcePool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * Hands out leases from a {@link LeaseStore}: waits (bounded, woken by changes, re-checking every 100 ms),
 * logs long waits with their holders, explains a lease that did not come, and counts the waits per
 * resource or pool. One per coordinator; {@link #forOwner} gives the per-test view.
 *
 * <p>After this JVM was frozen past the {@link FreezeDetector}'s threshold, the run's cluster may have
 * dropped it and freed its leases, and another test may have taken one since. Each lease still open here is
 * then taken over in the state that replaced the lost one: kept if it was still this JVM's, taken again if
 * it was free, lost if another holds it; the last two with a warning that names the resource and its owner,
 * since another test may have used the resource meanwhile (a lease cannot stop a test that already runs).
 */
public final class LeaseBroker {
  private static final Logger LOG = Logs.get(LeaseBroker.class);
  private static final String RESOURCE = "resource/";
  private static final String POOL = "pool/";
  private static final java.util.regex.Pattern RESOURCE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._:@/-]{1,128}");
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final Duration FIRST_LOG = Duration.ofSeconds(10);
  private static final Duration LOG_EVERY = Duration.ofSeconds(30);

  private final LeaseStore store;
  private final String workerId;
  private final LeaseSettings settings;
  private final Map<String, ResourcePool> declared = new ConcurrentHashMap<>();
  private final Map<String, WaitCounters> waits = new ConcurrentHashMap<>();
  /** The leases of this JVM not yet closed, by lease id. */
  private final Map<String, Held> open = new ConcurrentHashMap<>();
  private final Runnable stopWatching;

  /** A broker for a store that no freeze of this JVM can lose (e.g. the leases command's). */
  public LeaseBroker(LeaseStore store, String workerId, LeaseSettings settings) {
    this(store, workerId, settings, FreezeDetector.never());
  }

  /**
   * @param store where the run's lease tables live
   * @param workerId this worker's id, the first part of every owner
   * @param settings the lease settings
   * @param freezes this JVM's freeze detector: after a freeze the open leases are taken over
   */
  public LeaseBroker(LeaseStore store, String workerId, LeaseSettings settings, FreezeDetector freezes) {
    this.store = store;
    this.workerId = workerId;
    this.settings = settings;
    int cleared = store.clearExpired();
    if (cleared > 0) {
      LOG.info("ratelimit-testkit: cleared {} expired lease(s) at start", cleared);
    }
    this.stopWatching = freezes.onFreeze(this::afterFreeze);
  }

  /** Stops taking leases over after freezes (the coordinator is closing). */
  public void close() {
    stopWatching.run();
  }

  /**
   * Takes every open lease over after a freeze: its store calls wait for the state that replaced the lost
   * one. Taking a lease again with its own id keeps it where it was still this JVM's (moving it to the new
   * member or client), and takes it back where it was freed and is still free.
   */
  private void afterFreeze(Duration frozen) {
    if (open.isEmpty()) {
      return;
    }
    String why = "this JVM was frozen for " + FreezeDetector.seconds(frozen) + " (a long GC pause, or the process stopped), long "
        + "enough for the run's cluster to drop it and free its leases";
    try {
      Map<String, Map<String, LeaseTable.Lease>> before = store.tables();
      for (Held held : open.values()) {
        Map<String, LeaseTable.Lease> table = before.getOrDefault(held.key, Map.of());
        boolean stillHeld = held.taken.stream().allMatch(r -> LeaseTable.holds(table, r, held.leaseId));
        long left = held.expiresAt.toEpochMilli() - System.currentTimeMillis();
        List<String> again = left <= 0 || held.closed.get() ? List.of()
            : store.take(held.key, held.taken, held.taken.size(), held.leaseId, held.owner, Duration.ofMillis(left));
        if (!again.isEmpty() && stillHeld) {
          continue; // nobody could have taken it: still this JVM's, now renewed by its new member or client
        }
        if (!again.isEmpty()) {
          LOG.warn("ratelimit-testkit: {}: {}'s lease on {} was freed meanwhile; taken again, but another test may have used {} "
              + "while it was free", why, held.owner, held.resources, held.resources.size() == 1 ? "it" : "them");
        } else if (!held.closed.get()) {
          held.lostInFreeze = true;
          LOG.warn("ratelimit-testkit: {}: {} lost its lease on {}, which another test holds now ({}); it goes on without the lease, so "
              + "what it does with {} is no longer exclusive", why, held.owner, held.resources, describeHolders(held.key, held.resources),
              held.resources.size() == 1 ? "it" : "them");
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("ratelimit-testkit: {}; could not check this JVM's {} lease(s) after it ({}): they may be lost", why, open.size(),
          e.toString());
    }
  }

  private String describeHolders(String key, List<String> resources) {
    List<String> held = new ArrayList<>();
    store.tables().getOrDefault(key, Map.of()).forEach((item, lease) -> {
      if (resources.contains(LeaseTable.itemOf(item)) && !LeaseTable.isWish(item)) {
        held.add(LeaseTable.itemOf(item) + " by " + lease.owner());
      }
    });
    return held.isEmpty() ? "it has just ended" : String.join(", ", held);
  }

  /** Leases owned by {@code owner} of this worker (shown as {@code workerId/owner}). */
  public ResourceLeases forOwner(String owner) {
    return new OwnedLeases(workerId + "/" + owner);
  }

  /** Declares a pool in code; a pool of the same name from {@code PYTEST_RESOURCE_POOLS} takes precedence. */
  public ResourcePool declare(ResourcePool pool) {
    ResourcePool configured = settings.pools().get(pool.name());
    if (configured != null) {
      return configured;
    }
    ResourcePool before = declared.putIfAbsent(pool.name(), pool);
    if (before != null && !before.equals(pool)) {
      throw new IllegalArgumentException("pool '" + pool.name() + "' is already declared with other items: " + before.items());
    }
    return pool;
  }

  /** This worker's lease waits so far, by resource ({@code billing-account}) or pool ({@code pool repos}). */
  public Map<String, LeaseWaitStats> waitStatistics() {
    Map<String, LeaseWaitStats> out = new TreeMap<>();
    waits.forEach((key, counters) -> out.put(displayName(key), counters.snapshot()));
    return out;
  }

  private static String displayName(String key) {
    return key.startsWith(POOL) ? "pool " + key.substring(POOL.length()) : key.substring(RESOURCE.length());
  }

  private List<LeaseInfo> list(String onlyKey) {
    List<LeaseInfo> out = new ArrayList<>();
    Map<String, Map<String, LeaseTable.Lease>> tables = store.tables();
    tables.forEach((key, leases) -> {
      if (onlyKey == null || onlyKey.equals(key)) {
        leases.forEach((item, lease) -> {
          if (!LeaseTable.isWish(item)) {
            out.add(info(key, item, lease));
          }
        });
      }
    });
    out.sort(Comparator.comparing(LeaseInfo::resource).thenComparing(i -> String.valueOf(i.pool())));
    return out;
  }

  private static LeaseInfo info(String key, String item, LeaseTable.Lease lease) {
    return new LeaseInfo(LeaseTable.itemOf(item), key.startsWith(POOL) ? key.substring(POOL.length()) : null, lease.owner(),
        Instant.ofEpochMilli(lease.sinceMillis()), Instant.ofEpochMilli(lease.maxUntilMillis()));
  }

  private ResourceLease acquire(String owner, String key, List<String> items, int count, Duration maxWait, String waitSetting) {
    Objects.requireNonNull(maxWait, "maxWait");
    String leaseId = UUID.randomUUID().toString();
    long start = System.nanoTime();
    long deadline = start + Math.max(0, maxWait.toNanos());
    long nextLog = start + FIRST_LOG.toNanos();
    WaitCounters counters = waits.computeIfAbsent(key, k -> new WaitCounters());
    while (true) {
      List<String> taken = store.take(key, items, count, leaseId, owner, settings.leaseTimeout());
      long now = System.nanoTime();
      if (!taken.isEmpty()) {
        counters.record(now - start, true);
        if (now - start > FIRST_LOG.toNanos()) {
          LOG.info("ratelimit-testkit: {} got {} after waiting {} s", owner, taken, TimeUnit.NANOSECONDS.toSeconds(now - start));
        }
        Instant since = Instant.now();
        Held held = new Held(key, leaseId, owner, List.copyOf(taken), since, since.plus(settings.leaseTimeout()));
        open.put(leaseId, held);
        return held;
      }
      if (now - deadline >= 0) {
        counters.record(now - start, false);
        giveUp(key, leaseId);
        throw unavailable(owner, key, items, count, maxWait, waitSetting);
      }
      if (now - nextLog >= 0) {
        LOG.warn("ratelimit-testkit: {} has waited {} s for {}; held: {}", owner, TimeUnit.NANOSECONDS.toSeconds(now - start),
            describeWanted(key, count), list(key));
        nextLog = now + LOG_EVERY.toNanos();
      }
      try {
        store.awaitChange(key, Math.min(deadline - now, RECHECK_NANOS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        counters.record(System.nanoTime() - start, false);
        giveUp(key, leaseId);
        throw new LeaseUnavailableException("ratelimit-testkit: interrupted while " + owner + " waited for " + describeWanted(key, count),
            0, list(key));
      }
    }
  }

  /** Drops what a waiter that gives up left behind (a sole holder's wish), so shared holders need not wait it out. */
  private void giveUp(String key, String leaseId) {
    try {
      store.release(key, leaseId);
    } catch (RuntimeException e) {
      LOG.debug("could not withdraw lease request {} on {}: {}", leaseId, key, e.toString());
    }
  }

  private static String describeWanted(String key, int count) {
    return key.startsWith(POOL) ? count + " of pool '" + key.substring(POOL.length()) + "'" : "'" + key.substring(RESOURCE.length()) + "'";
  }

  private LeaseUnavailableException unavailable(String owner, String key, List<String> items, int count, Duration maxWait, String waitSetting) {
    List<LeaseInfo> holders = list(key);
    int free = (int) items.stream().map(LeaseTable::itemOf).filter(item -> holders.stream().noneMatch(h -> h.resource().equals(item))).count();
    String waited = "after waiting " + seconds(maxWait) + " (" + waitSetting + ")";
    String message;
    if (key.startsWith(POOL)) {
      message = "ratelimit-testkit: " + owner + " needs " + count + " of pool '" + key.substring(POOL.length()) + "' (" + items.size()
          + " items) but only " + free + (free == 1 ? " was" : " were") + " free " + waited + "; the other " + (items.size() - free)
          + " held: " + summarize(holders);
    } else {
      message = "ratelimit-testkit: " + owner + " could not get '" + key.substring(RESOURCE.length()) + "' " + waited + "; "
          + (holders.isEmpty() ? "it came free just now" : "held: " + summarize(holders))
          + ". If its holder hangs, end the lease with the leases command (see docs/shared-resources.md).";
    }
    return new LeaseUnavailableException(message, free, holders);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
  }

  private static String summarize(List<LeaseInfo> holders) {
    Instant now = Instant.now();
    List<String> parts = new ArrayList<>();
    for (LeaseInfo h : holders.subList(0, Math.min(10, holders.size()))) {
      parts.add(h.resource() + " by " + h.owner() + " for " + h.heldFor(now).toSeconds() + " s");
    }
    if (holders.size() > 10) {
      parts.add("and " + (holders.size() - 10) + " more");
    }
    return String.join(", ", parts);
  }

  /** The leases of one owner. */
  private final class OwnedLeases implements ResourceLeases {
    private final String owner;

    OwnedLeases(String owner) {
      this.owner = owner;
    }

    /** {@code resource}, if it is a valid resource name (the lease tables use {@code *} and {@code !} themselves). */
    private static String checked(String resource) {
      if (resource == null || !RESOURCE_NAME.matcher(resource).matches()) {
        throw new IllegalArgumentException("resource name '" + resource + "': use 1 to 128 letters, digits or . _ : @ / -");
      }
      return resource;
    }

    @Override
    public ResourceLease acquire(String resource) {
      return acquire(resource, settings.leaseWait());
    }

    @Override
    public ResourceLease acquire(String resource, Duration maxWait) {
      return LeaseBroker.this.acquire(owner, RESOURCE + checked(resource), List.of(resource), 1, maxWait, "PYTEST_LEASE_WAIT");
    }

    @Override
    public ResourceLease acquireShared(String resource) {
      return acquireShared(resource, settings.leaseWait());
    }

    @Override
    public ResourceLease acquireShared(String resource, Duration maxWait) {
      return LeaseBroker.this.acquire(owner, RESOURCE + checked(resource), List.of(LeaseTable.shared(resource)), 1, maxWait,
          "PYTEST_LEASE_WAIT");
    }

    @Override
    public ResourceLease acquireFromPool(String pool, int count) {
      return acquire(pool(pool), count, settings.poolWait(), "PYTEST_POOL_WAIT");
    }

    @Override
    public ResourceLease acquireFromPool(ResourcePool pool, int count, Duration maxWait) {
      return acquire(declare(pool), count, maxWait, "the wait asked for");
    }

    private ResourceLease acquire(ResourcePool pool, int count, Duration maxWait, String waitSetting) {
      if (count < 1 || count > pool.size()) {
        throw new IllegalArgumentException("cannot lease " + count + " of pool '" + pool.name() + "', which has " + pool.size() + " items");
      }
      return LeaseBroker.this.acquire(owner, POOL + pool.name(), pool.items(), count, maxWait, waitSetting);
    }

    @Override
    public ResourcePool pool(String name) {
      ResourcePool pool = settings.pools().get(name);
      if (pool == null) {
        pool = declared.get(name);
      }
      if (pool == null) {
        throw new IllegalArgumentException("no pool named '" + name + "' is declared; declare it in PYTEST_RESOURCE_POOLS "
            + "(e.g. " + name + "=" + name + "-1.." + name + "-10) or in code; declared: "
            + new java.util.TreeSet<>(java.util.stream.Stream.concat(settings.pools().keySet().stream(), declared.keySet().stream()).toList()));
      }
      return pool;
    }

    @Override
    public List<LeaseInfo> list() {
      return LeaseBroker.this.list(null);
    }

    @Override
    public List<LeaseInfo> free(String resource) {
      List<LeaseInfo> freed = new ArrayList<>();
      store.free(resource).forEach((key, leases) -> leases.forEach((item, lease) -> freed.add(info(key, item, lease))));
      if (!freed.isEmpty()) {
        LOG.warn("ratelimit-testkit: {} ended by {}: {}", freed.size() == 1 ? "lease" : "leases", owner, freed);
      }
      return freed;
    }
  }

  /** A granted lease; closing it releases what is left of it. */
  private final class Held implements ResourceLease {
    private final String key;
    private final String leaseId;
    private final String owner;
    /** As asked of the store ({@code item*} for a shared hold), to take them again after a freeze. */
    private final List<String> taken;
    private final List<String> resources;
    private final Instant since;
    private final Instant expiresAt;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Lost after a freeze of this JVM to another test (said when it was found). */
    private volatile boolean lostInFreeze;

    Held(String key, String leaseId, String owner, List<String> taken, Instant since, Instant expiresAt) {
      this.key = key;
      this.leaseId = leaseId;
      this.owner = owner;
      this.taken = taken;
      this.resources = taken.stream().map(LeaseTable::itemOf).toList();
      this.since = since;
      this.expiresAt = expiresAt;
    }

    @Override
    public String pool() {
      return key.startsWith(POOL) ? key.substring(POOL.length()) : null;
    }

    @Override
    public List<String> resources() {
      return resources;
    }

    @Override
    public String owner() {
      return owner;
    }

    @Override
    public Instant since() {
      return since;
    }

    @Override
    public Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public void close() {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      open.remove(leaseId);
      List<String> released;
      try {
        released = store.release(key, leaseId);
      } catch (RuntimeException e) {
        LOG.debug("could not release lease {} on {}: {}", leaseId, resources, e.toString());
        return; // the cluster is going: the lease ends with this member, or expires
      }
      if (released.size() < resources.size() && !lostInFreeze) {
        List<String> lost = new ArrayList<>(resources);
        lost.removeAll(released);
        LOG.warn("ratelimit-testkit: {} lost its lease on {} before it ended (expired after {} s, PYTEST_LEASE_TIMEOUT, or freed "
            + "by hand); another test may have used it meanwhile", owner, lost, settings.leaseTimeout().toSeconds());
      }
    }

    @Override
    public String toString() {
      return resources + " held by " + owner + " since " + since;
    }
  }

  /** Wait counters of one resource or pool. */
  private static final class WaitCounters {
    final LongAdder acquisitions = new LongAdder();
    final LongAdder unavailable = new LongAdder();
    final LongAdder totalNanos = new LongAdder();
    final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);

    void record(long nanos, boolean granted) {
      acquisitions.increment();
      if (!granted) {
        unavailable.increment();
      }
      totalNanos.add(nanos);
      maxNanos.accumulate(nanos);
    }

    LeaseWaitStats snapshot() {
      return new LeaseWaitStats(acquisitions.sum(), unavailable.sum(), Duration.ofNanos(totalNanos.sum()), Duration.ofNanos(maxNanos.get()));
    }
  }
}
