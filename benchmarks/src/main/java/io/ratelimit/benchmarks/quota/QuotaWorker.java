package io.ratelimit.benchmarks.quota;

import com.hazelcast.core.HazelcastInstance;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.internal.cluster.ClusterSerialization;
import io.ratelimit.hazelcast.ClusterConnection;
import io.ratelimit.hazelcast.ClusterConnector;
import io.ratelimit.hazelcast.ClusterSettings;
import io.ratelimit.settings.SettingsSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One worker JVM of the quota benchmark: sets up one contender's limiter (joining the run's cluster for
 * the distributed ones), says {@code READY} once every worker is in, waits for {@code GO}, then runs
 * {@code threads} threads that send logical requests back to back for {@code durationMs}, and prints
 * {@code RESULT logical=.. ok=.. latencies=..}. Every request carries {@code X-Worker: n} (this JVM's
 * number), so the API can tell the workers' arrivals apart.
 *
 * <p>Usage: {@code QuotaWorker contender url threads perSecond workers maxInFlight durationMs [n]}; a contender
 * name may end in {@code +N%}: its spacing is then N% longer than 1/R (a margin for arrival jitter). A
 * {@code perSecond} of 0 means no rate: the API limits requests in flight only (nginx {@code limit_conn}), and
 * each contender is configured for the cap {@code maxInFlight} alone: ratelimit-testkit with a spacing of 0
 * ({@code rateLimitDelay(Duration.ZERO)}: spacing off), resilience4j's RateLimiter and Bucket4j's bucket at
 * {@link #UNLIMITED_PER_SECOND} (never the limit), {@code none} unchanged.
 * {@code ratelimit-testkit:adaptive} and {@code ratelimit-testkit:static} are this library with
 * {@code PYTEST_ADAPTIVE_DELAY} set to true or false by the benchmark (in this JVM's environment); the library's
 * settings are read from the environment first, so any {@code PYTEST_*} setting the benchmark was started
 * with reaches it, and the values below win over them.
 */
public final class QuotaWorker {
  private static final int MAX_RETRIES = 3;
  private static final long BASE_BACKOFF_MS = 200;
  /** The rate resilience4j and Bucket4j are given when {@code perSecond} is 0 (no rate: the cap is the limit). */
  static final int UNLIMITED_PER_SECOND = 1_000_000;

  private QuotaWorker() {}

  /** Sends one logical request (with its retries) and returns the final status. */
  private interface Contender {
    int send(Request request) throws IOException, InterruptedException;
  }

  /** Around each attempt: what the contender does before and after it. */
  private interface Gate {
    void enter() throws InterruptedException;

    void exit();
  }

  public static void main(String[] args) throws Exception {
    String contender = args[0].replaceAll("\\+[0-9]+%$", "").replaceAll(":(adaptive|static)$", "");
    int marginPercent = args[0].matches(".*\\+[0-9]+%$") ? Integer.parseInt(args[0].replaceAll(".*\\+([0-9]+)%$", "$1")) : 0;
    String url = args[1];
    int threads = Integer.parseInt(args[2]);
    int perSecond = Integer.parseInt(args[3]);
    int workers = Integer.parseInt(args[4]);
    int maxInFlight = Integer.parseInt(args[5]);
    long durationMs = Long.parseLong(args[6]);
    String workerNumber = args.length > 7 ? args[7] : "0";
    boolean unlimited = perSecond == 0; // no rate: only the in-flight cap binds
    Duration spacing = unlimited ? Duration.ZERO : Duration.ofNanos(TimeUnit.SECONDS.toNanos(1) * (100 + marginPercent) / 100 / perSecond);
    int rate = unlimited ? UNLIMITED_PER_SECOND : perSecond;
    OkHttpClient plain = new OkHttpClient.Builder().connectionPool(new ConnectionPool(threads, 5, TimeUnit.MINUTES))
        .callTimeout(Duration.ofMinutes(2)).build();

    IntSupplier clusterSize = () -> 1;
    String adaptive = "-";
    Contender send;
    switch (contender) {
      case "none":
        send = request -> withRetries(plain, request, new Gate() {
          @Override public void enter() {}
          @Override public void exit() {}
        });
        break;
      case "resilience4j-full":
      case "resilience4j-divided": {
        int share = contender.endsWith("full") ? 1 : workers;
        RateLimiter limiter = RateLimiter.of("quota", RateLimiterConfig.custom().limitForPeriod(Math.max(1, rate / share))
            .limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ofMinutes(2)).build());
        Bulkhead bulkhead = Bulkhead.of("quota", BulkheadConfig.custom().maxConcurrentCalls(Math.max(1, maxInFlight / share))
            .maxWaitDuration(Duration.ofMinutes(2)).build());
        send = request -> withRetries(plain, request, new Gate() {
          @Override
          public void enter() {
            bulkhead.acquirePermission();
            limiter.acquirePermission();
          }

          @Override
          public void exit() {
            bulkhead.onComplete();
          }
        });
        break;
      }
      case "bucket4j-hazelcast": {
        ClusterConnection connection = ClusterConnector.connect(ClusterSettings.fromEnvironment(), config -> {
          ClusterSerialization.register(config);
          HazelcastProxyManager.addCustomSerializers(config, 10_000);
        });
        HazelcastInstance hz = connection.instance().orElseThrow(() -> new IllegalStateException("no cluster: " + connection));
        // configured like this library's spacing: no burst, one token every 1/R s, shared by every worker; with
        // no rate, a bucket that never runs dry (Bucket4j has no in-flight cap: the contender is then none + a hop)
        BucketConfiguration bucketConfig = unlimited
            ? BucketConfiguration.builder().addLimit(limit -> limit.capacity(rate).refillGreedy(rate, Duration.ofSeconds(1))).build()
            : BucketConfiguration.builder().addLimit(limit -> limit.capacity(1).refillGreedy(1, spacing)).build();
        Bucket bucket = Bucket4jHazelcast.entryProcessorBasedBuilder(hz.<String, byte[]>getMap("bucket4j")).build().builder()
            .build("quota", () -> bucketConfig);
        clusterSize = () -> hz.getCluster().getMembers().size();
        send = request -> withRetries(plain, request, new Gate() {
          @Override
          public void enter() throws InterruptedException {
            bucket.asBlocking().consume(1);
          }

          @Override
          public void exit() {}
        });
        break;
      }
      case "ratelimit-testkit": {
        SettingsSource environment = SettingsSource.ofEnvironment(System.getenv());
        RateLimitCoordinator coordinator = RateLimitCoordinator.start(environment);
        // from the environment first (PYTEST_ADAPTIVE_DELAY and whatever else the run was given), then the benchmark's values
        RateLimitConfig config = RateLimitConfig.builderFrom(environment, RateLimitConfig.DEFAULT_API).maxConcurrentRequests(maxInFlight)
            .rateLimitDelay(spacing).maxRetries(MAX_RETRIES)
            .baseBackoff(Duration.ofMillis(BASE_BACKOFF_MS)).maxBackoff(Duration.ofSeconds(60)).build();
        OkHttpClient client = coordinator.wrap(plain, config);
        adaptive = config.describe().lines().filter(l -> l.contains("PYTEST_ADAPTIVE_DELAY")).map(String::trim).findFirst()
            .orElse("PYTEST_ADAPTIVE_DELAY not a setting of this build");
        clusterSize = coordinator::clusterSize;
        send = request -> {
          try (Response r = client.newCall(request).execute()) {
            r.body().string();
            return r.code();
          }
        };
        break;
      }
      default:
        throw new IllegalArgumentException("unknown contender " + contender);
    }

    // a cold start is how a user's forks live it: the first request goes at GO, while the members start and the
    // run's state moves into the cluster; a warm one measures the settled limiter only
    boolean cold = contender.startsWith("ratelimit-testkit") && !"false".equals(System.getenv("QUOTA_COLD_START"));
    long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!cold && clusterSize.getAsInt() < (contender.equals("bucket4j-hazelcast") || contender.equals("ratelimit-testkit") ? workers : 1)
        && System.nanoTime() < joinDeadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    if (!cold) {
      send.send(new Request.Builder().url(url + "?warm-up").build()); // class loading, connections, the limiter's path
    }
    System.out.println("READY members=" + clusterSize.getAsInt() + " adaptive=" + adaptive); // the rest of the line
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (!"GO".equals(stdin.readLine())) {
      return;
    }
    run(send, url, workerNumber, threads, durationMs);
    System.exit(0);
  }

  private static void run(Contender send, String url, String workerNumber, int threads, long durationMs) throws Exception {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMs);
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    AtomicLong ok = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      done.add(pool.submit(() -> {
        while (System.nanoTime() < end) {
          long start = System.nanoTime();
          int status = send.send(new Request.Builder().url(url).header("X-Worker", workerNumber).build());
          latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
          if (status == 200) {
            ok.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(10, TimeUnit.MINUTES);
    }
    pool.shutdown();
    StringBuilder all = new StringBuilder();
    latencies.forEach(l -> all.append(all.length() == 0 ? "" : ",").append(l));
    System.out.println("RESULT logical=" + latencies.size() + " ok=" + ok.get() + " latencies=" + all);
  }

  /** The same retry policy for every contender that has none of its own: up to 3, Retry-After honoured, else 200 ms x 2^n. */
  private static int withRetries(OkHttpClient client, Request request, Gate gate) throws IOException, InterruptedException {
    for (int attempt = 0; ; attempt++) {
      int status;
      String retryAfter;
      gate.enter();
      try (Response r = client.newCall(request).execute()) {
        r.body().string();
        status = r.code();
        retryAfter = r.header("Retry-After");
      } finally {
        gate.exit();
      }
      if (status != 429 || attempt == MAX_RETRIES) {
        return status;
      }
      long waitMs = retryAfter != null && retryAfter.matches("[0-9]{1,5}") ? Long.parseLong(retryAfter) * 1000 : BASE_BACKOFF_MS << attempt;
      TimeUnit.MILLISECONDS.sleep(Math.min(waitMs, 60_000));
    }
  }
}
