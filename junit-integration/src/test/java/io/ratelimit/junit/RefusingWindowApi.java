package io.ratelimit.junit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback API (the JDK's HttpServer) that refuses a window of requests: the first {@code refused} it
 * receives on {@code /limited} are answered 429 with {@code Retry-After: 1}, the rest (and every other path) 200. It counts the requests that arrive
 * while a pause it announced is still running (by its own clock): a client that honours {@code Retry-After}
 * sends none.
 */
final class RefusingWindowApi implements AutoCloseable {
  private final HttpServer server;
  private final int refused;
  private final AtomicInteger received = new AtomicInteger();
  private final AtomicInteger early = new AtomicInteger();
  private final AtomicInteger limited = new AtomicInteger();
  private final java.util.List<String> earlyPaths = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicLong pausedUntilNanos = new AtomicLong();
  /** Set once a pause was announced. */
  private volatile boolean paused;

  RefusingWindowApi(int refused) throws IOException {
    this.refused = refused;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    long now = System.nanoTime();
    if (paused && now - pausedUntilNanos.get() < 0) {
      early.incrementAndGet();
      earlyPaths.add(exchange.getRequestURI().getPath());
    }
    received.incrementAndGet();
    byte[] body;
    if (exchange.getRequestURI().getPath().equals("/limited") && limited.incrementAndGet() <= refused) {
      pausedUntilNanos.accumulateAndGet(now + 1_000_000_000L, (a, b) -> paused ? Math.max(a, b) : b);
      paused = true;
      exchange.getResponseHeaders().add("Retry-After", "1");
      body = "slow down".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(429, body.length);
    } else {
      body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
    }
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  String url(String path) {
    return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + path;
  }

  int received() {
    return received.get();
  }

  /** Requests received on {@code /limited}. */
  int limited() {
    return limited.get();
  }

  /** Requests that arrived before a pause this server announced had ended. */
  int early() {
    return early.get();
  }

  /** The paths of the requests that came early, in order. */
  java.util.List<String> earlyPaths() {
    return earlyPaths;
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
