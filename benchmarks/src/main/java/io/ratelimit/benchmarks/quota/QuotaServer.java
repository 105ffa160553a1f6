package io.ratelimit.benchmarks.quota;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback API that enforces a known quota the way gateways do, and counts what it saw. Admitted
 * requests take {@link #LATENCY_MS} to answer (a {@link #backend(long)}: the latency it was built with);
 * refused ones are answered at once with 429: with no
 * {@code Retry-After} (leaky bucket, sliding window: as nginx {@code limit_req} and haproxy answer by default),
 * or {@code Retry-After: N} when built with a fixed {@code retryAfterSeconds} N (leaky bucket, sliding window),
 * or {@code Retry-After} = whole seconds to the window's end (fixed window). Every arrival since
 * {@link #reset()} is kept ({@link #arrivals()}): when, from which worker ({@code X-Worker}), admitted or not.
 */
final class QuotaServer implements QuotaApi {
  static final long LATENCY_MS = 20;
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** How the quota is enforced. */
  enum Policy {
    /** A leaky bucket at R requests/s: a request less than 1/R after the last admitted one's slot is refused (GCRA), beyond a burst of B (0: none). */
    LEAKY_BUCKET,
    /** A sliding window: at most R requests admitted in any 1 s. */
    SLIDING_WINDOW,
    /** A fixed window: at most Q requests per W seconds, windows aligned at {@link #reset()}; rate-limit headers on every response. */
    FIXED_WINDOW,
    /** No limit: the backend of a {@link RefereeProxy}, which enforces the quota in front of it. */
    BACKEND
  }

  /** The rate-limit headers a fixed window sends. */
  enum Header {
    /** {@code RateLimit-Policy: "fixed";q=Q;w=W}, {@code RateLimit: "fixed";r=..;t=..}. */
    IETF,
    /** {@code X-RateLimit-Limit}, {@code -Remaining}, {@code -Reset} (epoch seconds, as GitHub). */
    X_RATELIMIT
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(64);
  private final Policy policy;
  private final long intervalNanos;
  private final int perSecond;
  private final int burst;
  private final int windowQuota;
  private final long windowNanos;
  private final Set<Header> headers;
  private final int retryAfterSeconds;
  private final long latencyMs;
  private final boolean emptyBody;
  private final Deque<Long> admitted = new ArrayDeque<>();
  private long theoreticalArrival;
  private long origin;
  // per fixed window since reset: {admitted, refused}; guarded by this
  private final List<long[]> windows = new ArrayList<>();
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();
  // the clock arrivals are stamped with: epoch microseconds from nanoTime, so comparable with other JVMs' currentTimeMillis
  private final long baseNanos = System.nanoTime();
  private final long baseEpochMicros = System.currentTimeMillis() * 1000;
  // every arrival since reset; guarded by itself (not kept for a backend: its referee's log has them)
  private final List<Arrival> arrivals = new ArrayList<>();

  private QuotaServer(Policy policy, int perSecond, int burst, int windowQuota, int windowSeconds, Set<Header> headers,
      int retryAfterSeconds, long latencyMs) throws IOException {
    this(policy, perSecond, burst, windowQuota, windowSeconds, headers, retryAfterSeconds, latencyMs, false);
  }

  private QuotaServer(Policy policy, int perSecond, int burst, int windowQuota, int windowSeconds, Set<Header> headers,
      int retryAfterSeconds, long latencyMs, boolean emptyBody) throws IOException {
    this.policy = policy;
    this.latencyMs = latencyMs;
    this.emptyBody = emptyBody;
    this.retryAfterSeconds = retryAfterSeconds;
    this.perSecond = perSecond;
    this.burst = burst;
    this.intervalNanos = perSecond > 0 ? SECOND / perSecond : 0;
    this.windowQuota = windowQuota;
    this.windowNanos = windowSeconds * SECOND;
    this.headers = headers;
    this.origin = System.nanoTime();
    this.theoreticalArrival = origin;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * The leaky bucket of the table's first rows: GCRA at {@code perSecond}, {@code burst} requests beyond it (B + 1
   * at once from idle); each 429 carries {@code Retry-After: retryAfterSeconds} (0: no {@code Retry-After}).
   */
  static QuotaServer leakyBucket(int perSecond, int burst, int retryAfterSeconds) throws IOException {
    return new QuotaServer(Policy.LEAKY_BUCKET, perSecond, burst, 0, 0, Set.of(), retryAfterSeconds, LATENCY_MS);
  }

  /** At most {@code perSecond} admitted in any 1 s; each 429 carries {@code Retry-After: retryAfterSeconds} (0: none). */
  static QuotaServer slidingWindow(int perSecond, int retryAfterSeconds) throws IOException {
    return new QuotaServer(Policy.SLIDING_WINDOW, perSecond, 0, 0, 0, Set.of(), retryAfterSeconds, LATENCY_MS);
  }

  /** {@code quota} requests per {@code windowSeconds}, {@code Retry-After} to the window's end, {@code headers} on every response. */
  static QuotaServer fixedWindow(int quota, int windowSeconds, Set<Header> headers) throws IOException {
    return new QuotaServer(Policy.FIXED_WINDOW, 0, 0, quota, windowSeconds, headers.isEmpty() ? Set.of() : EnumSet.copyOf(headers), 0, LATENCY_MS);
  }

  /** Admits everything after {@link #LATENCY_MS}: what a reverse proxy enforcing the quota sends to. */
  static QuotaServer backend() throws IOException {
    return new QuotaServer(Policy.BACKEND, 0, 0, 0, 0, Set.of(), 0, LATENCY_MS);
  }

  /**
   * Admits everything after {@code latencyMs}: the backend of a referee whose limit is on requests in flight
   * (nginx {@code limit_conn}), where the latency sets the API's ceiling (cap / latency). It answers 200 with an
   * empty body ({@code Content-Length: 0}), the whole answer in one write: with a body, the JDK server writes
   * the headers and the body apart, and Nagle's algorithm holds the body until nginx's delayed ACK (40 ms on
   * Linux), which made a 100 ms backend take a median 144 ms at nginx (its {@code $request_time}).
   */
  static QuotaServer backend(long latencyMs) throws IOException {
    if (latencyMs < 0) {
      throw new IllegalArgumentException("latencyMs " + latencyMs + " < 0");
    }
    return new QuotaServer(Policy.BACKEND, 0, 0, 0, 0, Set.of(), 0, latencyMs, true);
  }

  @Override
  public String url() {
    return "http://127.0.0.1:" + port() + "/quota";
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Forgets what it saw, and the quota's state: the measured window starts here. */
  @Override
  public synchronized void reset() {
    attempts.set(0);
    refused.set(0);
    ok.set(0);
    admitted.clear();
    windows.clear();
    synchronized (arrivals) {
      arrivals.clear();
    }
    origin = System.nanoTime();
    theoreticalArrival = origin;
  }

  private long epochMicros(long nanos) {
    return baseEpochMicros + (nanos - baseNanos) / 1000;
  }

  @Override
  public synchronized long resetEpochMicros() {
    return epochMicros(origin);
  }

  @Override
  public List<Arrival> arrivals() {
    List<Arrival> copy;
    synchronized (arrivals) {
      copy = new ArrayList<>(arrivals);
    }
    copy.sort(java.util.Comparator.comparingLong(Arrival::epochMicros));
    return copy;
  }

  private static int worker(HttpExchange exchange) {
    String value = exchange.getRequestHeaders().getFirst("X-Worker");
    try {
      return value == null ? 0 : Integer.parseInt(value.trim());
    } catch (NumberFormatException notOurs) {
      return 0;
    }
  }

  /** What to answer one arrival: 200 or 429, the headers to send. */
  private record Decision(boolean admit, long retryAfterSeconds, List<String[]> headers) {}

  private synchronized Decision decide(long now) {
    List<String[]> out = new ArrayList<>();
    switch (policy) {
      case LEAKY_BUCKET: {
        if (now < theoreticalArrival - burst * intervalNanos) {
          return new Decision(false, retryAfterSeconds > 0 ? retryAfterSeconds : -1, out);
        }
        theoreticalArrival = Math.max(theoreticalArrival, now) + intervalNanos;
        return new Decision(true, -1, out);
      }
      case SLIDING_WINDOW: {
        while (!admitted.isEmpty() && now - admitted.peekFirst() >= SECOND) {
          admitted.pollFirst();
        }
        if (admitted.size() >= perSecond) {
          return new Decision(false, retryAfterSeconds > 0 ? retryAfterSeconds : -1, out);
        }
        admitted.addLast(now);
        return new Decision(true, -1, out);
      }
      case FIXED_WINDOW: {
        int index = (int) Math.max(0, (now - origin) / windowNanos);
        while (windows.size() <= index) {
          windows.add(new long[2]);
        }
        long[] window = windows.get(index);
        boolean admit = window[0] < windowQuota;
        window[admit ? 0 : 1]++;
        long toEnd = origin + (index + 1) * windowNanos - now;
        long toEndSeconds = (toEnd + SECOND - 1) / SECOND; // rounded up: never points before the window's end
        long remaining = windowQuota - window[0];
        if (headers.contains(Header.IETF)) {
          out.add(new String[] {"RateLimit-Policy", "\"fixed\";q=" + windowQuota + ";w=" + windowNanos / SECOND});
          out.add(new String[] {"RateLimit", "\"fixed\";r=" + remaining + ";t=" + toEndSeconds});
        }
        if (headers.contains(Header.X_RATELIMIT)) {
          Instant end = Instant.now().plusNanos(toEnd);
          out.add(new String[] {"X-RateLimit-Limit", Integer.toString(windowQuota)});
          out.add(new String[] {"X-RateLimit-Remaining", Long.toString(remaining)});
          out.add(new String[] {"X-RateLimit-Reset", Long.toString(end.getEpochSecond() + (end.getNano() > 0 ? 1 : 0))});
        }
        return new Decision(admit, admit ? -1 : Math.max(1, toEndSeconds), out);
      }
      default:
        return new Decision(true, -1, out);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      attempts.incrementAndGet();
      long now = System.nanoTime();
      Decision decision = decide(now);
      if (policy != Policy.BACKEND) {
        Arrival arrival = new Arrival(epochMicros(now), worker(exchange), decision.admit(), !decision.admit());
        synchronized (arrivals) {
          arrivals.add(arrival);
        }
      }
      for (String[] header : decision.headers()) {
        exchange.getResponseHeaders().add(header[0], header[1]);
      }
      if (!decision.admit()) {
        refused.incrementAndGet();
        if (decision.retryAfterSeconds() > 0) {
          exchange.getResponseHeaders().add("Retry-After", Long.toString(decision.retryAfterSeconds()));
        }
        exchange.sendResponseHeaders(429, -1);
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(latencyMs));
      ok.incrementAndGet();
      if (emptyBody) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      byte[] body = "{\"ok\":true}".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  @Override
  public long attempts() {
    return attempts.get();
  }

  @Override
  public long refused() {
    return refused.get();
  }

  @Override
  public long ok() {
    return ok.get();
  }

  @Override
  public synchronized List<long[]> windows() {
    List<long[]> copy = new ArrayList<>();
    windows.forEach(w -> copy.add(w.clone()));
    return copy;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
