package io.ratelimit.core.internal.stats;

import io.ratelimit.core.spi.TestAttribution;
import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitedClients;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/** This JVM's counters, per API name. Lock-free on the request path; read as immutable snapshots. */
public final class StatsRecorder {
  private final Map<String, Counters> byApi = new ConcurrentHashMap<>();
  private final Map<String, Counters> byTest = new ConcurrentHashMap<>();
  /** Counts what no test is known for; never read. */
  private final Counters unattributed = new Counters();

  /** The counters of one API, created on first use. */
  public Counters api(String name) {
    return byApi.computeIfAbsent(name, n -> new Counters());
  }

  /** The counters of the test {@code call} belongs to (see {@link TestAttribution}), or a sink when none. */
  public Counters test(okhttp3.Call call) {
    return RateLimitedClients.testAttribution().of(call).map(name -> byTest.computeIfAbsent(name, n -> new Counters())).orElse(unattributed);
  }

  /** An immutable copy of every test's counters (all APIs together), by test. */
  public Map<String, ApiStats> testSnapshot() {
    Map<String, ApiStats> out = new TreeMap<>();
    byTest.forEach((name, c) -> out.put(name, c.snapshot()));
    return out;
  }

  /** An immutable copy of every API's counters. */
  public Map<String, ApiStats> snapshot() {
    Map<String, ApiStats> out = new TreeMap<>();
    byApi.forEach((name, c) -> out.put(name, c.snapshot()));
    return out;
  }

  /** Counters of one API. */
  public static final class Counters {
    final LongAdder requests = new LongAdder();
    final LongAdder attempts = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder succeededAfterRetry = new LongAdder();
    final LongAdder exhausted = new LongAdder();
    final LongAdder ioErrors = new LongAdder();
    final LongAdder permitTimeouts = new LongAdder();
    final LongAdder retryDelayNanos = new LongAdder();
    final LongAccumulator retryDelayMaxNanos = new LongAccumulator(Math::max, 0);
    final LongAdder permitWaitNanos = new LongAdder();
    final LongAccumulator permitWaitMaxNanos = new LongAccumulator(Math::max, 0);
    final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();

    public void request() {
      requests.increment();
    }

    public void attempt() {
      attempts.increment();
    }

    public void response(int code) {
      statuses.computeIfAbsent(code, c -> new LongAdder()).increment();
      if (code == 429) {
        rateLimited.increment();
      }
    }

    public void ioError() {
      ioErrors.increment();
    }

    public void retry(long delayNanos) {
      retries.increment();
      retryDelayNanos.add(delayNanos);
      retryDelayMaxNanos.accumulate(delayNanos);
    }

    public void succeededAfterRetry() {
      succeededAfterRetry.increment();
    }

    public void exhausted() {
      exhausted.increment();
    }

    public void permitWait(long nanos) {
      permitWaitNanos.add(nanos);
      permitWaitMaxNanos.accumulate(nanos);
    }

    public void permitTimeout() {
      permitTimeouts.increment();
    }

    ApiStats snapshot() {
      Map<Integer, Long> statusCounts = new TreeMap<>();
      statuses.forEach((code, n) -> statusCounts.put(code, n.sum()));
      return new ApiStats(requests.sum(), attempts.sum(), rateLimited.sum(), retries.sum(), succeededAfterRetry.sum(),
          exhausted.sum(), ioErrors.sum(), permitTimeouts.sum(), ms(retryDelayNanos.sum()), ms(retryDelayMaxNanos.get()),
          ms(permitWaitNanos.sum()), ms(permitWaitMaxNanos.get()), statusCounts);
    }

    private static long ms(long nanos) {
      return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
  }
}
