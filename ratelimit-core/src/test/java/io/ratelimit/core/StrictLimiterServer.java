package io.ratelimit.core;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import okhttp3.HttpUrl;

/**
 * A loopback API (JDK HttpServer on 127.0.0.1) that enforces one rate limit strictly, the way real
 * limiters refuse, and records every arrival so tests can assert what the server saw.
 *
 * <p>Policies (one per server, chosen at construction):
 *
 * <ul>
 *   <li>{@link #leakyBucket(int)}: GCRA at R requests/s with zero tolerance, like nginx {@code limit_req}
 *       without {@code burst}: a request arriving less than 1/R after the previous admitted one's slot is
 *       refused; refused requests do not count. {@link Builder#burst(int)} B allows B requests beyond that
 *       (B + 1 at once from idle), like {@code burst=B nodelay}.
 *   <li>{@link #slidingWindow(int)}: at most R requests admitted in any 1 s (an exact log). With
 *       {@link Builder#countRefused(boolean)} refused requests count too, as haproxy's {@code
 *       sc_http_req_rate} does.
 *   <li>{@link #fixedWindow(int, Duration)}: at most Q requests per window of W whole seconds, windows
 *       aligned at the server's start (or {@link #reset()}); a refusal carries {@code Retry-After} = whole
 *       seconds to the window's end (rounded up), and every response carries the rate-limit headers chosen
 *       with {@link Builder#headers(Header...)}.
 *   <li>{@link #pause()}: admits everything except the arrivals chosen with {@link Builder#refuse(long,
 *       Duration)} (and any armed with {@link #refuseNext(Duration)}, which works under every policy): those
 *       get a 429 with {@code Retry-After}.
 * </ul>
 *
 * <p>Admitted requests are answered after {@link Builder#latency(Duration)} (20 ms by default); refused ones
 * at once. Leaky bucket and sliding window send no {@code Retry-After} unless {@link
 * Builder#retryAfterOnRefusal(boolean)} (then: whole seconds until a request would be admitted, at least 1),
 * as nginx and haproxy send none by default. {@code /warm-up} is answered 200 at once and neither counted nor
 * limited.
 *
 * <p>Time: decisions and records use a {@link TimeSource}. With {@link TimeSource#system()} (the default),
 * {@link Arrival#nanos()} is {@link System#nanoTime()} of this JVM, comparable with the test's own readings;
 * with a {@link ManualClock} the test moves time itself and every decision is deterministic.
 */
final class StrictLimiterServer implements AutoCloseable {
  static final Duration DEFAULT_LATENCY = Duration.ofMillis(20);
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** Time as the server sees it: a monotonic clock for decisions, wall time for epoch headers. */
  interface TimeSource {
    long nanoTime();

    Instant now();

    /** The machine's clocks. */
    static TimeSource system() {
      return new TimeSource() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public Instant now() {
          return Instant.now();
        }
      };
    }
  }

  /** A clock that moves only when the test moves it. Thread-safe. */
  static final class ManualClock implements TimeSource {
    private final AtomicLong nanos = new AtomicLong();
    private final Instant epochAtZero;

    /** @param epochAtZero the wall time when {@link #nanoTime()} is 0 */
    ManualClock(Instant epochAtZero) {
      this.epochAtZero = epochAtZero;
    }

    void advance(Duration d) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("a clock does not go back: " + d);
      }
      nanos.addAndGet(d.toNanos());
    }

    /** Moves to {@code sinceZero} after the start; never backwards. */
    void advanceTo(Duration sinceZero) {
      advance(Duration.ofNanos(sinceZero.toNanos() - nanos.get()));
    }

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    @Override
    public Instant now() {
      return epochAtZero.plusNanos(nanos.get());
    }
  }

  /** Which rate-limit headers a fixed window sends on every response. */
  enum Header {
    /** {@code RateLimit-Policy: "fixed";q=Q;w=W} and {@code RateLimit: "fixed";r=..;t=..} (draft-ietf-httpapi-ratelimit-headers). */
    IETF,
    /** {@code X-RateLimit-Limit}, {@code -Remaining}, {@code -Reset} as epoch seconds (GitHub). */
    X_RATELIMIT_EPOCH,
    /** {@code X-RateLimit-Limit}, {@code -Remaining}, {@code -Reset} as seconds to wait (Envoy and many gateways). */
    X_RATELIMIT_DELTA
  }

  /** The policies. */
  enum Kind { LEAKY_BUCKET, SLIDING_WINDOW, FIXED_WINDOW, PAUSE }

  /**
   * One request the server saw (not {@code /warm-up}).
   *
   * @param number 1 for the first arrival since start or {@link #reset()}
   * @param nanos arrival on the server's {@link TimeSource#nanoTime()}
   * @param wallTime arrival on the server's {@link TimeSource#now()}
   * @param status the status answered
   * @param inFlight requests being served at that moment, this one included
   * @param retryAfterSeconds the {@code Retry-After} sent, or -1
   */
  record Arrival(long number, long nanos, Instant wallTime, int status, int inFlight, String path, long retryAfterSeconds) {
    boolean admitted() {
      return status == 200;
    }
  }

  /** Arrivals in one time bucket: {@code [startNanos, startNanos + width)}. */
  record Bucket(long startNanos, int attempts, int refused) {
    int admitted() {
      return attempts - refused;
    }

    double refusedShare() {
      return attempts == 0 ? 0 : (double) refused / attempts;
    }
  }

  /** Chooses the policy's details, then {@link #start()}. */
  static final class Builder {
    private final Kind kind;
    private final int rate;
    private final Duration window;
    private int burst;
    private Duration latency = DEFAULT_LATENCY;
    private TimeSource time = TimeSource.system();
    private Set<Header> headers = EnumSet.of(Header.IETF, Header.X_RATELIMIT_EPOCH);
    private boolean retryAfterOnRefusal;
    private boolean countRefused;
    private int refusalStatus = 429;
    private final Map<Long, Long> refuseAt = new HashMap<>();

    private Builder(Kind kind, int rate, Duration window) {
      this.kind = kind;
      this.rate = rate;
      this.window = window;
    }

    /** Leaky bucket only: B requests beyond the rate (B + 1 at once from idle). */
    Builder burst(int b) {
      require(kind == Kind.LEAKY_BUCKET, "burst applies to the leaky bucket, not " + kind);
      require(b >= 0, "burst must be >= 0, got " + b);
      this.burst = b;
      return this;
    }

    /** How long an admitted request takes to answer (default 20 ms). */
    Builder latency(Duration d) {
      require(!d.isNegative(), "latency must be >= 0, got " + d);
      this.latency = d;
      return this;
    }

    Builder clock(TimeSource t) {
      this.time = t;
      return this;
    }

    /** Fixed window only: the headers sent on every response (default IETF and X-RateLimit with an epoch reset); none is allowed. */
    Builder headers(Header... chosen) {
      require(kind == Kind.FIXED_WINDOW, "headers apply to the fixed window, not " + kind);
      this.headers = chosen.length == 0 ? EnumSet.noneOf(Header.class) : EnumSet.of(chosen[0], chosen);
      return this;
    }

    /** Leaky bucket and sliding window: send {@code Retry-After} (seconds until a request would pass, at least 1) on refusals. */
    Builder retryAfterOnRefusal(boolean on) {
      this.retryAfterOnRefusal = on;
      return this;
    }

    /** Sliding window only: refused requests count in the window too (haproxy's request rate). */
    Builder countRefused(boolean on) {
      require(kind == Kind.SLIDING_WINDOW, "countRefused applies to the sliding window, not " + kind);
      this.countRefused = on;
      return this;
    }

    /** The status of a refusal: 429 (default) or 503. */
    Builder refusalStatus(int status) {
      require(status == 429 || status == 503, "refusal status must be 429 or 503, got " + status);
      this.refusalStatus = status;
      return this;
    }

    /** Pause only: arrival number {@code n} (1-based) gets a refusal with {@code Retry-After} (whole seconds, rounded up). */
    Builder refuse(long n, Duration retryAfter) {
      require(kind == Kind.PAUSE, "refuse(n, ..) applies to the pause policy, not " + kind);
      require(n >= 1, "arrival number must be >= 1, got " + n);
      refuseAt.put(n, ceilSeconds(retryAfter.toNanos()));
      return this;
    }

    StrictLimiterServer start() throws IOException {
      return new StrictLimiterServer(this);
    }
  }

  /** (a), (b): GCRA at {@code perSecond}, no burst unless {@link Builder#burst(int)}. */
  static Builder leakyBucket(int perSecond) {
    require(perSecond >= 1, "perSecond must be >= 1, got " + perSecond);
    return new Builder(Kind.LEAKY_BUCKET, perSecond, null);
  }

  /** (c): at most {@code perSecond} admitted in any 1 s. */
  static Builder slidingWindow(int perSecond) {
    require(perSecond >= 1, "perSecond must be >= 1, got " + perSecond);
    return new Builder(Kind.SLIDING_WINDOW, perSecond, null);
  }

  /** (d): at most {@code quota} per window of whole seconds, with {@code Retry-After} and rate-limit headers. */
  static Builder fixedWindow(int quota, Duration window) {
    require(quota >= 1, "quota must be >= 1, got " + quota);
    require(window.toNanos() >= SECOND && window.toNanos() % SECOND == 0, "window must be whole seconds >= 1 (the headers carry seconds), got "
        + window);
    return new Builder(Kind.FIXED_WINDOW, quota, window);
  }

  /** (e): admits everything but the arrivals chosen with {@link Builder#refuse(long, Duration)} or {@link #refuseNext(Duration)}. */
  static Builder pause() {
    return new Builder(Kind.PAUSE, 0, null);
  }

  private final Builder config;
  private final TimeSource time;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "strict-limiter-server");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  // guarded by this: the limiter's state and the record, so the record's order is the decisions' order
  private final List<Arrival> arrivals = new ArrayList<>();
  private final Deque<Long> windowLog = new ArrayDeque<>();
  private final Deque<Long> armed = new ArrayDeque<>();
  private long origin;
  private long theoreticalArrival;
  private long windowIndex;
  private int windowCount;

  private StrictLimiterServer(Builder config) throws IOException {
    this.config = config;
    this.time = config.time;
    this.origin = time.nanoTime();
    this.theoreticalArrival = origin;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  HttpUrl url(String path) {
    return HttpUrl.get("http://127.0.0.1:" + server.getAddress().getPort() + (path.startsWith("/") ? path : "/" + path));
  }

  /** Forgets what it saw and the limiter's state: a new measurement (and the fixed windows) starts now. */
  synchronized void reset() {
    arrivals.clear();
    windowLog.clear();
    armed.clear();
    origin = time.nanoTime();
    theoreticalArrival = origin;
    windowIndex = 0;
    windowCount = 0;
    maxInFlight.set(inFlight.get());
  }

  /** The next arrival, under any policy, gets a refusal with {@code Retry-After} (whole seconds, rounded up). */
  synchronized void refuseNext(Duration retryAfter) {
    armed.addLast(ceilSeconds(retryAfter.toNanos()));
  }

  /** When the current measurement started (start or {@link #reset()}), on the server's clock. */
  synchronized long originNanos() {
    return origin;
  }

  /** Every arrival since start or {@link #reset()}, in the order decided. */
  synchronized List<Arrival> arrivals() {
    return List.copyOf(arrivals);
  }

  synchronized long attempts() {
    return arrivals.size();
  }

  synchronized long admitted() {
    return arrivals.stream().filter(Arrival::admitted).count();
  }

  synchronized long refused() {
    return arrivals.size() - admitted();
  }

  /** Arrivals with {@code fromNanos <= nanos < toNanos}. */
  synchronized long arrivalsBetween(long fromNanos, long toNanos) {
    return arrivals.stream().filter(a -> a.nanos() >= fromNanos && a.nanos() < toNanos).count();
  }

  /** Admitted arrivals with {@code fromNanos <= nanos < toNanos}. */
  synchronized long admittedBetween(long fromNanos, long toNanos) {
    return arrivals.stream().filter(a -> a.admitted() && a.nanos() >= fromNanos && a.nanos() < toNanos).count();
  }

  int inFlight() {
    return inFlight.get();
  }

  /** The most requests served at once since start or {@link #reset()}. */
  int maxInFlight() {
    return maxInFlight.get();
  }

  /**
   * Arrivals in consecutive buckets of {@code width} from the origin to the last arrival (empty ones
   * included). With a fixed window and {@code width} = the window, one bucket is one window.
   */
  synchronized List<Bucket> buckets(Duration width) {
    long w = width.toNanos();
    if (w <= 0) {
      throw new IllegalArgumentException("bucket width must be > 0, got " + width);
    }
    List<Bucket> out = new ArrayList<>();
    if (arrivals.isEmpty()) {
      return out;
    }
    long last = arrivals.get(arrivals.size() - 1).nanos();
    int n = (int) ((last - origin) / w) + 1;
    int[] attempts = new int[n];
    int[] refused = new int[n];
    for (Arrival a : arrivals) {
      int i = (int) ((a.nanos() - origin) / w);
      attempts[i]++;
      refused[i] += a.admitted() ? 0 : 1;
    }
    for (int i = 0; i < n; i++) {
      out.add(new Bucket(origin + i * w, attempts[i], refused[i]));
    }
    return out;
  }

  /** What the limiter answers one arrival. */
  private record Decision(int status, long retryAfterSeconds, List<String[]> headers) {}

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/warm-up")) {
        send(exchange, 200, "warm");
        return;
      }
      int nowInFlight = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(nowInFlight, Math::max);
      Decision decision;
      try {
        decision = decideAndRecord(path, nowInFlight);
        for (String[] header : decision.headers()) {
          exchange.getResponseHeaders().add(header[0], header[1]);
        }
        if (decision.retryAfterSeconds() >= 0) {
          exchange.getResponseHeaders().add("Retry-After", Long.toString(decision.retryAfterSeconds()));
        }
        if (decision.status() == 200 && !config.latency.isZero()) {
          LockSupport.parkNanos(config.latency.toNanos()); // the API's own work
        }
      } finally {
        inFlight.decrementAndGet(); // before the answer: never count a request the client may consider done
      }
      send(exchange, decision.status(), decision.status() == 200 ? "{\"ok\":true}" : "{\"error\":\"rate limited\"}");
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private synchronized Decision decideAndRecord(String path, int nowInFlight) {
    long now = time.nanoTime();
    Instant wall = time.now();
    long number = arrivals.size() + 1;
    Decision d = decide(now, wall, number);
    arrivals.add(new Arrival(number, now, wall, d.status(), nowInFlight, path, d.retryAfterSeconds()));
    return d;
  }

  private Decision decide(long now, Instant wall, long number) {
    List<String[]> headers = new ArrayList<>();
    if (!armed.isEmpty()) {
      return new Decision(config.refusalStatus, armed.pollFirst(), headers);
    }
    switch (config.kind) {
      case LEAKY_BUCKET: {
        long interval = SECOND / config.rate;
        long earliest = theoreticalArrival - config.burst * interval; // GCRA: TAT - tolerance
        if (now < earliest) {
          return refusal(earliest - now, headers);
        }
        theoreticalArrival = Math.max(theoreticalArrival, now) + interval;
        return new Decision(200, -1, headers);
      }
      case SLIDING_WINDOW: {
        while (!windowLog.isEmpty() && now - windowLog.peekFirst() >= SECOND) {
          windowLog.pollFirst();
        }
        if (windowLog.size() >= config.rate) {
          long wait = windowLog.peekFirst() + SECOND - now;
          if (config.countRefused) {
            windowLog.addLast(now);
          }
          return refusal(wait, headers);
        }
        windowLog.addLast(now);
        return new Decision(200, -1, headers);
      }
      case FIXED_WINDOW: {
        long w = config.window.toNanos();
        long index = Math.floorDiv(now - origin, w);
        if (index != windowIndex) {
          windowIndex = index;
          windowCount = 0;
        }
        long end = origin + (index + 1) * w;
        boolean admit = windowCount < config.rate;
        if (admit) {
          windowCount++;
        }
        long toEnd = ceilSeconds(end - now);
        long remaining = config.rate - windowCount;
        long windowSeconds = w / SECOND;
        if (config.headers.contains(Header.IETF)) {
          headers.add(new String[] {"RateLimit-Policy", "\"fixed\";q=" + config.rate + ";w=" + windowSeconds});
          headers.add(new String[] {"RateLimit", "\"fixed\";r=" + remaining + ";t=" + toEnd});
        }
        if (config.headers.contains(Header.X_RATELIMIT_EPOCH) || config.headers.contains(Header.X_RATELIMIT_DELTA)) {
          headers.add(new String[] {"X-RateLimit-Limit", Integer.toString(config.rate)});
          headers.add(new String[] {"X-RateLimit-Remaining", Long.toString(remaining)});
          Instant endWall = wall.plusNanos(end - now);
          long epochEnd = endWall.getEpochSecond() + (endWall.getNano() > 0 ? 1 : 0);
          headers.add(new String[] {"X-RateLimit-Reset",
              Long.toString(config.headers.contains(Header.X_RATELIMIT_EPOCH) ? epochEnd : toEnd)});
        }
        return new Decision(admit ? 200 : config.refusalStatus, admit ? -1 : toEnd, headers);
      }
      case PAUSE: {
        Long retryAfter = config.refuseAt.get(number);
        return retryAfter == null ? new Decision(200, -1, headers) : new Decision(config.refusalStatus, retryAfter, headers);
      }
      default:
        throw new IllegalStateException("unknown policy " + config.kind);
    }
  }

  private Decision refusal(long waitNanos, List<String[]> headers) {
    return new Decision(config.refusalStatus, config.retryAfterOnRefusal ? Math.max(1, ceilSeconds(waitNanos)) : -1, headers);
  }

  private static long ceilSeconds(long nanos) {
    return nanos <= 0 ? 0 : (nanos + SECOND - 1) / SECOND;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
