package io.ratelimit.core.internal.cluster;

import com.hazelcast.map.IMap;
import io.ratelimit.core.PermitName;
import io.ratelimit.core.internal.state.Admission;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.internal.state.Permits;
import io.ratelimit.core.internal.state.TurnTaking;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.spi.Logs;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * The cluster's permits and start slots ({@link Permits}): a request's permit and start slot in one entry
 * processor call on the API's permit entry; permits are leases of this member, renewed while it lives and
 * freed when it leaves; waiters queue in the order they asked, and the head of a JVM's line asks again when
 * a release event arrives (a push), with a short recheck as a safety net.
 */
final class ClusterPermits implements Permits {
  private static final Logger LOG = Logs.get(ClusterPermits.class);
  /** Longest a waiter sleeps between attempts when no change event arrives (a safety net: events can be lost). */
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** A waiter's place in the cluster-wide queue lasts this long after its last try (it tries every 100 ms). */
  private static final long TICKET_MILLIS = 1_000;
  /** Earliest slot ahead of the owner's clock: covers the answer's trip back on a busy machine. */
  private static final long MAX_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final IMap<String, PermitTable> permits;
  private final String holder;
  private final Map<String, PermitWaiters> waiters = new ConcurrentHashMap<>();
  private final Set<HeldLease> held = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private record HeldLease(String name, String leaseId) {}

  /**
   * @param permits the run's permit entries
   * @param holder this JVM's member or client UUID: the holder of its permits
   */
  ClusterPermits(IMap<String, PermitTable> permits, String holder) {
    this.permits = permits;
    this.holder = holder;
  }

  /** A change to the permit entry {@code name} that someone waits on: this JVM's waiter asks again. */
  void wake(String name) {
    PermitWaiters w = waiters.get(name);
    if (w != null) {
      w.signal();
    }
  }

  @Override
  public Optional<Permit> acquirePermit(PermitName permitName, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    String name = permitName.key();
    return acquire(name, cap, Pacing.Params.fixed(0), maxWait, condition).map(Admission::permit);
  }

  /** The permit and the start slot in one round trip: both live in the API's permit entry. */
  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return acquire(limits.permitName().key(), limits.maxInFlight(), limits.pacing(), maxWait, condition);
  }

  private Optional<Admission> acquire(String name, int cap, Pacing.Params pacing, Duration maxWait, WaitCondition condition)
      throws InterruptedIOException {
    String leaseId = UUID.randomUUID().toString();
    PermitWaiters w = waiters.computeIfAbsent(name, n -> new PermitWaiters());
    // the head of this JVM's line asks again when a release event arrives or after a short recheck
    // interval, so waiters never hammer the cluster
    return TurnTaking.acquire(w.turn, System.nanoTime() + maxWait.toNanos(), condition, TICKET_MILLIS,
        ticket -> {
          w.asking();
          return tryAcquire(name, cap, leaseId, ticket, pacing);
        }, left -> awaitRelease(w, Math.min(left, RECHECK_NANOS)),
        () -> withdraw(name, leaseId));
  }

  private Optional<Admission> tryAcquire(String name, int cap, String leaseId, long ticketMillis, Pacing.Params pacing) {
    long[] slot = permits.executeOnKey(name,
        new AcquirePermit(leaseId, holder, cap, ClusterLimiterState.LEASE.toMillis(), ticketMillis, pacing, lead(pacing.floorNanos())));
    if (slot == null) {
      return Optional.empty();
    }
    HeldLease lease = new HeldLease(name, leaseId);
    held.add(lease);
    return Optional.of(new Admission(releaser(lease), Pacing.Slot.of(slot)));
  }

  private static long lead(long spacingNanos) {
    return Math.min(spacingNanos / 2, MAX_LEAD_NANOS);
  }

  /** Gives up a waiter's place in the queue at once, rather than blocking the next waiter until it expires. */
  private void withdraw(String name, String leaseId) {
    try {
      permits.submitToKey(name, new ReleasePermit(leaseId));
    } catch (RuntimeException e) {
      LOG.debug("could not withdraw from the queue for {}: {}", name, e.toString());
    }
  }

  private static void awaitRelease(PermitWaiters w, long nanos) throws InterruptedIOException {
    try {
      w.awaitChange(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a permit");
    }
  }

  private Permit releaser(HeldLease lease) {
    AtomicBoolean done = new AtomicBoolean();
    return new Permit() {
      @Override
      public boolean release() {
        return release(false);
      }

      @Override
      public boolean releaseWithoutWaiting() {
        return release(true);
      }

      private boolean release(boolean async) {
        if (!done.compareAndSet(false, true)) {
          return false;
        }
        held.remove(lease);
        if (!closed) {
          try {
            if (async) {
              permits.submitToKey(lease.name(), new ReleasePermit(lease.leaseId())).whenComplete((freed, e) -> {
                if (e != null) {
                  LOG.debug("could not release lease {} on {}: {}", lease.leaseId(), lease.name(), e.toString());
                }
              });
            } else {
              permits.executeOnKey(lease.name(), new ReleasePermit(lease.leaseId()));
            }
          } catch (RuntimeException e) {
            // the cluster is gone or going: the lease dies with this member or expires
            LOG.debug("could not release lease {} on {}: {}", lease.leaseId(), lease.name(), e.toString());
          }
        }
        return true;
      }
    };
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    Pacing.Params pacing = limits.pacing();
    if (!pacing.paces()) {
      return Pacing.Slot.NOW;
    }
    return Pacing.Slot.of(permits.executeOnKey(limits.permitName().key(), new ReserveSlot(pacing, lead(pacing.floorNanos()))));
  }

  /** Sent without waiting: the response is on its way to the caller already. */
  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    permits.submitToKey(limits.permitName().key(), new PaceFeedback(limits.pacing(), feedback));
  }

  @Override
  public int permitsHeld(PermitName permitName) {
    String name = permitName.key();
    PermitTable table = permits.get(name);
    if (table == null) {
      return 0;
    }
    table.dropExpired(System.currentTimeMillis());
    return table.size();
  }

  /** Renews this JVM's leases (a lease not renewed for {@link ClusterLimiterState#LEASE} is free again). */
  void renewQuietly() {
    try {
      held.stream().map(HeldLease::name).distinct()
          .forEach(name -> permits.submitToKey(name, new RenewLeases(holder, ClusterLimiterState.LEASE.toMillis())));
    } catch (RuntimeException e) {
      LOG.debug("could not renew leases: {}", e.toString());
    }
  }

  /** Frees the permits of a worker that left the cluster. */
  void releaseLeasesOf(String leftHolder) {
    try {
      Map<String, Integer> freed = permits.executeOnEntries(new ReleaseHolder(leftHolder));
      int total = freed.values().stream().mapToInt(Integer::intValue).sum();
      if (total > 0) {
        LOG.warn("ratelimit-testkit: a worker left the cluster holding {} permit(s); they are free again", total);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not free the leases of {}: {}", leftHolder, e.toString());
    }
  }

  /** Gives back every permit this JVM holds, waited for; from now on a release sends nothing. */
  void releaseAll() {
    closed = true;
    for (HeldLease lease : held) {
      permits.executeOnKey(lease.name(), new ReleasePermit(lease.leaseId()));
    }
    held.clear();
  }
}
