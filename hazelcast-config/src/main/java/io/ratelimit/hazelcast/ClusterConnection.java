package io.ratelimit.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This JVM's place in the run's cluster: a member or client instance, or none (local mode by choice, or
 * no cluster could be had, with the reason). Closing it leaves the cluster, within a bound.
 */
public final class ClusterConnection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterConnection.class);
  private static final Duration CLOSE_BOUND = Duration.ofSeconds(15);

  private final ClusterSettings settings;
  private final ClusterMode mode;
  private final HazelcastInstance instance;
  private final String fallbackReason;
  private final Duration joinTime;
  private final AtomicBoolean closed = new AtomicBoolean();

  ClusterConnection(ClusterSettings settings, ClusterMode mode, HazelcastInstance instance, String fallbackReason, Duration joinTime) {
    this.settings = settings;
    this.mode = mode;
    this.instance = instance;
    this.fallbackReason = fallbackReason;
    this.joinTime = joinTime;
  }

  /** The Hazelcast member or client; empty in local mode. */
  public Optional<HazelcastInstance> instance() {
    return Optional.ofNullable(instance);
  }

  /** The mode in effect: {@link ClusterMode#LOCAL} after a fallback. */
  public ClusterMode mode() {
    return mode;
  }

  /** True when a cluster was asked for but could not be formed or reached. */
  public boolean fellBack() {
    return fallbackReason != null;
  }

  /** Why this JVM has no cluster although one was asked for. */
  public Optional<String> fallbackReason() {
    return Optional.ofNullable(fallbackReason);
  }

  /** The cluster's name for people ({@link ClusterSettings#displayName()}), without the join secret. */
  public String displayName() {
    return settings.displayName();
  }

  /** The settings this connection was made with. */
  public ClusterSettings settings() {
    return settings;
  }

  /** How long forming, joining or connecting took. */
  public Duration joinTime() {
    return joinTime;
  }

  /** Members in the cluster now (1 in local mode). */
  public int clusterSize() {
    try {
      return instance == null ? 1 : instance.getCluster().getMembers().size();
    } catch (RuntimeException gone) {
      return 1;
    }
  }

  /** Leaves the cluster gracefully, or terminates the instance if that takes longer than 15 s; idempotent. */
  @Override
  public void close() {
    if (instance == null || !closed.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> instance.getLifecycleService().shutdown());
    try {
      shutdown.get(CLOSE_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception slowOrFailed) {
      LOG.warn("ratelimit-testkit: leaving the cluster took over {} s; terminating this member", CLOSE_BOUND.toSeconds());
      instance.getLifecycleService().terminate();
    }
  }

  @Override
  public String toString() {
    return mode == ClusterMode.LOCAL
        ? "local" + (fellBack() ? " (fallback: " + fallbackReason + ")" : "")
        : mode.name().toLowerCase(java.util.Locale.ROOT) + " " + settings.displayName();
  }
}
