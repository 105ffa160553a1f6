package io.ratelimit.core.internal.lifecycle;

import io.ratelimit.core.internal.state.RunRecords;
import io.ratelimit.core.internal.state.RunModes;
import io.ratelimit.core.internal.state.Permits;
import io.ratelimit.core.internal.state.Admission;
import io.ratelimit.core.PermitName;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.leases.LeaseStore;
import io.ratelimit.core.internal.leases.LeaseTable;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.local.LocalLimiterState;
import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.RateLimitStats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state of a JVM that cannot prove it keeps the run's limits (it could not reach the cluster the rest
 * of the run works in, or lost it and could not join it again): every request, lease and claim fails with
 * the reason, at once, rather than go out on a guess. Statistics and documents stay readable, with this
 * JVM's own counters.
 */
public final class RefusingLimiterState implements LimiterState {
  private final String reason;
  private final String coordination;
  private final LocalLimiterState own;

  /**
   * @param reason why nothing may be sent and what to do, for every refusal
   * @param coordination a short form, for the statistics (e.g. {@code none: no cluster (...); requests refused})
   * @param workerId this JVM's worker id, for the statistics
   * @param recorder this JVM's counters, kept in the statistics
   */
  public RefusingLimiterState(String reason, String coordination, String workerId, StatsRecorder recorder) {
    this.reason = reason;
    this.coordination = coordination;
    this.own = new LocalLimiterState(workerId, coordination, recorder);
  }

  @Override
  public Optional<String> refusal() {
    return Optional.of(reason);
  }

  /** The short form of why this JVM sends nothing. */
  public String coordination() {
    return coordination;
  }

  private IllegalStateException refused() {
    return new IllegalStateException(reason);
  }

  @Override
  public Permits permits() {
    return new Permits() {
      @Override
      public Optional<Permit> acquirePermit(PermitName name, int cap, Duration maxWait, WaitCondition condition) {
        throw refused();
      }

      @Override
      public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) {
        throw refused();
      }

      @Override
      public Pacing.Slot reserveStartSlot(ApiLimits limits) {
        throw refused();
      }

      /** Nothing is sent while refusing, so there is nothing to learn. */
      @Override
      public void feedback(ApiLimits limits, Pacing.Feedback feedback) {}

      @Override
      public int permitsHeld(PermitName name) {
        return 0;
      }
    };
  }

  /** The run mode of this JVM alone: nothing it does reaches the run. */
  @Override
  public RunModes modes() {
    return own.modes();
  }

  /** This JVM's own counters and documents; no claim on the run can be made. */
  @Override
  public RunRecords records() {
    return new RunRecords() {
      @Override
      public RateLimitStats statistics() {
        return own.records().statistics();
      }

      @Override
      public void publish(String kind, String document) {
        own.records().publish(kind, document);
      }

      @Override
      public Map<String, String> published(String kind) {
        return own.records().published(kind);
      }

      @Override
      public boolean claim(String key) {
        throw refused();
      }
    };
  }

  @Override
  public LeaseStore leases() {
    return new LeaseStore() {
      @Override
      public List<String> take(String key, List<String> items, int count, String leaseId, String owner, Duration maxHold) {
        throw refused();
      }

      @Override
      public List<String> release(String key, String leaseId) {
        return List.of();
      }

      @Override
      public Map<String, Map<String, LeaseTable.Lease>> tables() {
        return Map.of();
      }

      @Override
      public Map<String, Map<String, LeaseTable.Lease>> free(String item) {
        return Map.of();
      }

      @Override
      public void awaitChange(String key, long nanos) {
        // nothing changes here
      }

      @Override
      public int clearExpired() {
        return 0;
      }

      @Override
      public void close() {
        // nothing held
      }
    };
  }

  @Override
  public void close() {
    own.close();
  }
}
