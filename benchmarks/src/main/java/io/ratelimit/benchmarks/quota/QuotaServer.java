package io.ratelimit.benchmarks.quota;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback API that enforces a known quota the way gateways do, and counts what it saw. Admitted
 * requests take {@link #LATENCY_MS} to answer; refused ones are answered at once with 429 and
 * {@code Retry-After: 1}.
 */
final class QuotaServer implements AutoCloseable {
  static final long LATENCY_MS = 20;

  /** How the quota is enforced. */
  enum Policy {
    /** A leaky bucket at R requests/s with no burst: a request less than 1/R after the last admitted one's slot is refused (GCRA, zero tolerance). */
    LEAKY_BUCKET,
    /** A sliding window: at most R requests admitted in any 1 s. */
    SLIDING_WINDOW
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(64);
  private final Policy policy;
  private final long intervalNanos;
  private final int perSecond;
  private final Deque<Long> admitted = new ArrayDeque<>();
  private long theoreticalArrival;
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();

  QuotaServer(Policy policy, int perSecond) throws IOException {
    this.policy = policy;
    this.perSecond = perSecond;
    this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/quota";
  }

  /** Forgets what it saw, and the quota's state: the measured window starts here. */
  synchronized void reset() {
    attempts.set(0);
    refused.set(0);
    ok.set(0);
    admitted.clear();
    theoreticalArrival = System.nanoTime();
  }

  private synchronized boolean admit(long now) {
    if (policy == Policy.LEAKY_BUCKET) {
      if (now < theoreticalArrival) {
        return false;
      }
      theoreticalArrival = Math.max(theoreticalArrival, now) + intervalNanos;
      return true;
    }
    while (!admitted.isEmpty() && now - admitted.peekFirst() >= TimeUnit.SECONDS.toNanos(1)) {
      admitted.pollFirst();
    }
    if (admitted.size() >= perSecond) {
      return false;
    }
    admitted.addLast(now);
    return true;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      attempts.incrementAndGet();
      if (!admit(System.nanoTime())) {
        refused.incrementAndGet();
        exchange.getResponseHeaders().add("Retry-After", "1");
        exchange.sendResponseHeaders(429, -1);
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(LATENCY_MS));
      ok.incrementAndGet();
      byte[] body = "{\"ok\":true}".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  long attempts() {
    return attempts.get();
  }

  long refused() {
    return refused.get();
  }

  long ok() {
    return ok.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
