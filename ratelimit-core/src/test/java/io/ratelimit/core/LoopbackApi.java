package io.ratelimit.core;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;

/**
 * A real HTTP server on loopback that records what it saw: arrival times and the number of requests it
 * was serving at once. Each request takes {@code latencyMillis} to serve; the in-flight count drops
 * before the response is written, so it never counts a request the client already considers done.
 */
final class LoopbackApi implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(64);
  private final long latencyMillis;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicInteger received = new AtomicInteger();
  private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();

  LoopbackApi(long latencyMillis) throws IOException {
    this.latencyMillis = latencyMillis;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    arrivals.add(System.nanoTime());
    received.incrementAndGet();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      serveFor(latencyMillis);
    } finally {
      inFlight.decrementAndGet();
    }
    byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Simulated server work. */
  private static void serveFor(long millis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (long left = millis; left > 0; left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())) {
      try {
        TimeUnit.MILLISECONDS.sleep(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  HttpUrl url(String path) {
    return HttpUrl.get("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  int received() {
    return received.get();
  }

  /** Gaps between consecutive arrivals, in nanoseconds, in arrival order. */
  List<Long> arrivalGapsNanos() {
    List<Long> sorted = new ArrayList<>(arrivals);
    sorted.sort(null);
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < sorted.size(); i++) {
      gaps.add(sorted.get(i) - sorted.get(i - 1));
    }
    return gaps;
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
