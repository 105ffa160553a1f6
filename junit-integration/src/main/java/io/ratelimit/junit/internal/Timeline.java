package io.ratelimit.junit.internal;

import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitCoordinator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This worker's counters sampled once a second (cumulative requests, 429s and retries at each epoch
 * second), shared with the run so the report can chart every worker: every {@value #SHARE_EVERY} samples
 * and at the end. Not at every sample: the first would start the JSON codec (about 0.2 CPU s) in every
 * fork at the moment the forks start together and send their first requests.
 */
final class Timeline implements AutoCloseable {
  static final int SHARE_EVERY = 10;
  /**
   * One sample: cumulative counts at an epoch second, the widest effective spacing of the APIs this
   * worker paces ({@code PYTEST_RATE_LIMIT_DELAY}, or wider while the API refuses; -1 before any), and the
   * time its starts were paused so far (a {@code Retry-After}, a spent quota; the most paused API's), which
   * the advice leaves out of the seconds it reads a rate from.
   */
  record Sample(long epochSecond, long requests, long rateLimited, long retries, double delayMs, long pausedMs) {
    /** A sample with no pause known (one shared by an older build). */
    Sample(long epochSecond, long requests, long rateLimited, long retries, double delayMs) {
      this(epochSecond, requests, rateLimited, retries, delayMs, 0);
    }
  }

  private final RateLimitCoordinator coordinator;
  private final List<Sample> samples = new ArrayList<>();
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ratelimit-timeline");
    t.setDaemon(true);
    return t;
  });

  Timeline(RateLimitCoordinator coordinator) {
    this.coordinator = coordinator;
    sampler.scheduleAtFixedRate(this::sampleQuietly, 0, 1, TimeUnit.SECONDS);
  }

  private void sampleQuietly() {
    try {
      sample();
    } catch (RuntimeException e) {
      // a missed sample leaves a gap in the chart, nothing more
    }
  }

  synchronized void sample() {
    ApiStats t = coordinator.localStatistics().values().stream().reduce(ApiStats.EMPTY, ApiStats::plus);
    double delayMs = coordinator.effectiveDelays().values().stream().mapToDouble(d -> d.toNanos() / 1e6).max().orElse(-1);
    long pausedMs = coordinator.pausedTime().values().stream().mapToLong(java.time.Duration::toMillis).max().orElse(0);
    samples.add(new Sample(System.currentTimeMillis() / 1000, t.requests(), t.rateLimited(), t.retries(), delayMs, pausedMs));
    if (samples.size() % SHARE_EVERY == 0) {
      share();
    }
  }

  private synchronized void share() {
    coordinator.publish(RunDocuments.TIMELINE, List.copyOf(samples));
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    sample();
    share();
  }
}
