package io.ratelimit.junit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback server that records who is inside a locked stretch of a test, from any fork: a test sends
 * {@code /enter?kind=..&who=..}, does its work ({@code /work}, 40 ms), then {@code /exit?...}. On each
 * entry it checks what may not be inside at once: a {@code writer} with anyone holding the same lock, a
 * {@code reader} with a writer, an {@code isolated} test with anyone, anyone with an isolated test. A
 * {@code hanger} enters and then waits in {@code /hang} until the server closes.
 */
final class LockRecorder implements AutoCloseable {
  private static final List<String> LOCKED = List.of("writer", "reader", "hanger");

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final CountDownLatch closed = new CountDownLatch(1);
  /** Who is inside now, by kind. */
  private final Map<String, List<String>> inside = new HashMap<>();
  private final Map<String, Integer> entered = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private int maxReaders;
  private int hanging;

  LockRecorder() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + "/";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      URI uri = exchange.getRequestURI();
      Map<String, String> query = new HashMap<>();
      if (uri.getQuery() != null) {
        for (String pair : uri.getQuery().split("&")) {
          String[] kv = pair.split("=", 2);
          query.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
      }
      switch (uri.getPath()) {
        case "/enter" -> enter(query.get("kind"), query.get("who"));
        case "/exit" -> exit(query.get("kind"), query.get("who"));
        case "/work" -> sleep(40);
        case "/hang" -> {
          synchronized (this) {
            hanging++;
          }
          closed.await(10, TimeUnit.MINUTES);
        }
        default -> { }
      }
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(millis);
  }

  private synchronized void enter(String kind, String who) {
    List<String> conflicts = new ArrayList<>();
    conflicts.addAll(inside.getOrDefault("isolated", List.of()));
    if (kind.equals("isolated")) {
      inside.values().forEach(conflicts::addAll);
    } else if (kind.equals("reader")) {
      conflicts.addAll(inside.getOrDefault("writer", List.of()));
      conflicts.addAll(inside.getOrDefault("hanger", List.of()));
    } else if (LOCKED.contains(kind)) {
      LOCKED.forEach(k -> conflicts.addAll(inside.getOrDefault(k, List.of())));
    }
    if (!conflicts.isEmpty()) {
      violations.add(kind + " " + who + " entered while inside: " + conflicts);
    }
    inside.computeIfAbsent(kind, k -> new ArrayList<>()).add(who);
    entered.merge(kind, 1, Integer::sum);
    maxReaders = Math.max(maxReaders, inside.getOrDefault("reader", List.of()).size());
  }

  private synchronized void exit(String kind, String who) {
    inside.getOrDefault(kind, new ArrayList<>()).remove(who);
  }

  /** Every entry made while something it may not overlap was inside. */
  synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  synchronized int entered(String kind) {
    return entered.getOrDefault(kind, 0);
  }

  /** The most readers inside at once (a figure: that they may overlap is shown elsewhere, without timing). */
  synchronized int maxReaders() {
    return maxReaders;
  }

  synchronized int hanging() {
    return hanging;
  }

  /** Forgets who is inside of {@code kind} (a killed fork never exits). */
  synchronized void forget(String kind) {
    inside.remove(kind);
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    threads.shutdownNow();
  }
}
