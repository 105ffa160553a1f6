package io.ratelimit.core.internal.lifecycle;

import io.ratelimit.core.internal.state.RunRecords;
import io.ratelimit.core.internal.state.RunModes;
import io.ratelimit.core.internal.state.Permits;
import java.lang.reflect.Proxy;
import java.lang.reflect.Method;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.InvocationHandler;
import io.ratelimit.core.internal.jvm.FreezeDetector;
import io.ratelimit.core.internal.leases.LeaseStore;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.waits.Waits;
import io.ratelimit.core.spi.Logs;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The cluster state, guarded against the cluster's loss (a client whose members stopped, a member whose
 * instance stopped or whose calls keep failing). With one warning, the call that met the loss and every
 * call after it wait, sending nothing, while {@code reconnect} makes the state that takes over: a new
 * cluster state, guarded the same way from then on, or a {@link RefusingLimiterState} that fails every
 * request and lease with the reason. Never a state of this JVM's own: the other JVMs of the run go on in
 * the cluster with the whole limits, so any share this JVM took alone would be a guess. A passing failure
 * (a member leaving mid-call) is tried again for about 2 s before the cluster counts as lost. Counters
 * stay in the same recorder, and reach the new cluster with its first flush.
 *
 * <p>A JVM frozen past the {@link FreezeDetector}'s threshold (a long GC pause) counts its cluster state
 * as lost too: the others may have dropped its member and freed what it held, while its own member, once
 * it runs again, would go on with its own copy of the state until it merged back. So the state is replaced
 * at once (the lost member or client is left before another is made), and no call made after the freeze
 * reaches the old state, even one made before the detector's own thread has run again.
 */
public final class FailoverLimiterState implements LimiterState {
  private static final Logger LOG = Logs.get(FailoverLimiterState.class);

  /** A passing failure is tried again for up to about 2 s before the cluster counts as lost. */
  private static final int PASSING_RETRIES = 10;
  private static final Duration PASSING_PAUSE = Duration.ofMillis(200);
  /** A call that meets a new cluster state failing at once as well gives up after this many replacements. */
  private static final int MAX_REPLACEMENTS_PER_CALL = 2;

  private final Function<String, LimiterState> reconnect;
  private final String whatNext;
  private final FreezeDetector freezes;
  private volatile Current current;
  private volatile boolean closed;
  private final Runnable stopWatching;
  private final Permits permits = guarded(Permits.class, LimiterState::permits);
  private final RunModes modes = guarded(RunModes.class, LimiterState::modes);
  private final RunRecords records = guarded(RunRecords.class, LimiterState::records);
  private final LeaseStore leases = guarded(LeaseStore.class, LimiterState::leases);

  /** The state in use, and how many freezes this JVM had been through before it was made. */
  private record Current(LimiterState state, long freezesBefore) {}

  /**
   * @param cluster the cluster state, used until it fails or this JVM freezes
   * @param reconnect makes the state that takes over, given what failed; bounded: every caller waits for it
   * @param whatNext what the JVM does then, for the warning
   * @param freezes this JVM's freeze detector
   * @param freezesBefore {@code freezes.freezes()} from before the cluster was joined: a freeze while it
   *     joined counts too
   */
  public FailoverLimiterState(LimiterState cluster, Function<String, LimiterState> reconnect, String whatNext, FreezeDetector freezes,
      long freezesBefore) {
    this.current = new Current(cluster, freezesBefore);
    this.reconnect = reconnect;
    this.whatNext = whatNext;
    this.freezes = freezes;
    this.stopWatching = freezes.onFreeze(this::afterFreeze); // last: the listener reads the fields above
  }

  /** Hazelcast's exceptions (the instance stopped, the client is offline, an operation timed out). */
  static boolean isClusterFailure(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().startsWith("com.hazelcast.")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Hazelcast's word for a moment that passes (a member just left, an operation went to it): the cluster
   * is still there, so the call is tried again rather than failed over.
   */
  static boolean isPassing(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.hazelcast.spi.exception.RetryableException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Optional<String> refusal() {
    return current.state().refusal(); // once the cluster was lost and could not be had again
  }

  /** Replaces the state at once after a freeze, rather than at the next call: the lost member is left now. */
  private void afterFreeze(Duration frozen) {
    Current now = current;
    if (!closed && isStale(now)) {
      try {
        replaceFrozen(now);
      } catch (RuntimeException e) {
        LOG.debug("could not replace the state after a freeze yet: {}", e.toString()); // the next call tries again
      }
    }
  }

  /** Made before this JVM's latest freeze (and not one that refuses every request anyway). */
  private boolean isStale(Current state) {
    return state.freezesBefore() < freezes.freezes() && state.state().refusal().isEmpty();
  }

  private Current replaceFrozen(Current stale) {
    String frozen = FreezeDetector.seconds(freezes.lastFreeze());
    return replace(stale, () -> LOG.warn("ratelimit-testkit: this JVM was frozen for {} (a long GC pause, or the process stopped), "
        + "more than {}: the run's cluster may have dropped its member and freed its permits and leases, and that member would go on "
        + "with its own copy of the state; this JVM leaves it and {}", frozen, FreezeDetector.seconds(freezes.threshold()), whatNext),
        "frozen for " + frozen);
  }

  private Current replaceFailed(Current failed, RuntimeException cause) {
    return replace(failed, () -> LOG.warn("ratelimit-testkit: lost the run's cluster ({}); this JVM {}", cause, whatNext),
        cause.getClass().getSimpleName() + ": " + cause.getMessage());
  }

  /**
   * Replaces {@code failed} once, however many callers met its failure: the others wait on this monitor
   * (bounded by {@code reconnect}'s own bound) and go on with what it made.
   */
  private synchronized Current replace(Current failed, Runnable warning, String why) {
    if (current != failed) {
      return current;
    }
    warning.run();
    long freezesBefore = freezes.freezes();
    Current next = new Current(reconnect.apply(why), freezesBefore);
    current = next;
    if (closed) {
      next.state().close(); // the worker stopped while it connected again
    }
    // what the lost state holds dies with its member or expires; closing it may wait on the dead cluster
    Thread closing = new Thread(() -> {
      try {
        failed.state().close();
      } catch (RuntimeException ignored) {
        // already gone
      }
    }, "ratelimit-close-lost-cluster");
    closing.setDaemon(true);
    closing.start();
    return next;
  }

  /**
   * Runs {@code call} on the state in use; a cluster failure makes the state that takes over (once, however
   * many callers met it) and runs the call again there. A passing failure is tried again first.
   */
  private Object call(Function<LimiterState, Object> port, Method method, Object[] args) throws Throwable {
    int replacements = 0;
    for (int attempt = 1; ; attempt++) {
      Current state = current;
      if (isStale(state)) {
        state = replaceFrozen(state); // frozen since it was made: never a call on the old state
      }
      try {
        return method.invoke(port.apply(state.state()), args);
      } catch (InvocationTargetException thrown) {
        if (!(thrown.getCause() instanceof RuntimeException e) || !isClusterFailure(e)) {
          throw thrown.getCause(); // a refusal, an interruption, or a bug: never a reason to connect again
        }
        if (isPassing(e) && attempt < PASSING_RETRIES) {
          Waits.sleep(PASSING_PAUSE, WaitCondition.NEVER); // a member leaving: the next try finds the new owner
          continue;
        }
        if (++replacements > MAX_REPLACEMENTS_PER_CALL) {
          throw e;
        }
        replaceFailed(state, e);
        attempt = 0;
      }
    }
  }

  /**
   * The port {@code type} of whichever state is in use, failing over as {@link #call} does: the one place
   * where every operation of every port is guarded, so a new operation needs nothing here.
   */
  private <T> T guarded(Class<T> type, Function<LimiterState, Object> port) {
    InvocationHandler handler = (proxy, method, args) -> method.getDeclaringClass() == Object.class
        ? method.invoke(this, args) // toString, equals, hashCode: of this guard, never a cluster call
        : call(port, method, args);
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
  }

  @Override
  public Permits permits() {
    return permits;
  }

  @Override
  public RunModes modes() {
    return modes;
  }

  @Override
  public RunRecords records() {
    return records;
  }

  @Override
  public LeaseStore leases() {
    return leases;
  }

  @Override
  public void close() {
    closed = true;
    stopWatching.run();
    current.state().close();
  }
}
