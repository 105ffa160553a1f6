package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Servers that misbehave on purpose, each on loopback: every call ends in bounded time with the
 * documented outcome, the in-flight permit comes back, and the counters match what the server saw.
 */
class HostileServerTest {
  private static final Duration BOUND = Duration.ofSeconds(30);
  private final RateLimitCoordinator coordinator = RateLimitCoordinator.local();
  private final List<AutoCloseable> servers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable s : servers) {
      s.close();
    }
    coordinator.close();
  }

  /** A raw TCP server: each accepted connection is handed to {@code behaviour} on its own thread. */
  private String rawServer(SocketBehaviour behaviour) throws IOException {
    ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          accepted.add(s);
          Thread t = new Thread(() -> {
            try {
              behaviour.handle(s);
            } catch (IOException ignored) {
              // the client went away
            }
          });
          t.setDaemon(true);
          t.start();
        } catch (IOException closed) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    servers.add(() -> {
      socket.close();
      for (Socket s : accepted) {
        s.close();
      }
    });
    return "http://127.0.0.1:" + socket.getLocalPort() + "/x";
  }

  private interface SocketBehaviour {
    void handle(Socket socket) throws IOException;
  }

  private static RateLimitConfig.Builder config() {
    return RateLimitConfig.builder().maxConcurrentRequests(1).rateLimitDelay(Duration.ZERO).maxRetries(3)
        .baseBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(50)).errorThreshold(1.0);
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersEndsInTheClientsTimeoutAndGivesThePermitBack() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    String url = rawServer(s -> {
      connections.incrementAndGet();
      s.getInputStream().read(new byte[8192]); // reads the request, answers nothing, keeps the socket open
    });
    OkHttpClient client = coordinator.wrap(new OkHttpClient.Builder().readTimeout(Duration.ofMillis(500))
        .retryOnConnectionFailure(false).build(), config().build());

    // two calls, cap 1: the second waits for the first's permit, then times out itself
    List<CompletableFuture<Class<?>>> calls = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> {
        try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
          return Response.class;
        } catch (IOException e) {
          return e.getClass();
        }
      }));
    }
    for (CompletableFuture<Class<?>> call : calls) {
      assertEquals(java.net.SocketTimeoutException.class, call.get(BOUND.toSeconds(), TimeUnit.SECONDS));
    }
    assertEquals(0, coordinator.permitsHeld(PermitName.api("default")), "both permits came back");
    ApiStats s = coordinator.statistics().totals();
    assertEquals(2, connections.get());
    assertEquals(2, s.attempts());
    assertEquals(2, s.ioErrors());
    assertEquals(0, s.retries());
  }

  @Test
  void aConnectionResetMidBodyFailsTheReadAndGivesThePermitBack() throws Exception {
    String url = rawServer(s -> {
      s.getInputStream().read(new byte[8192]);
      OutputStream out = s.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: text/plain\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[1000]);
      out.flush();
      s.setSoLinger(true, 0); // close with a reset, mid-body
      s.close();
    });
    OkHttpClient client = coordinator.wrap(new OkHttpClient.Builder().retryOnConnectionFailure(false).build(), config().build());

    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      assertEquals(200, r.code());
      InputStream body = r.body().byteStream();
      assertThrows(IOException.class, () -> body.readAllBytes(), "the body's read fails");
    }
    assertEquals(0, coordinator.permitsHeld(PermitName.api("default")), "the permit came back with the failed body");
    ApiStats s = coordinator.statistics().totals();
    assertEquals(1, s.attempts());
    assertEquals(1, s.requests());
    assertEquals(0, s.rateLimited());
  }

  @Test
  void aRetryAfterDateYearsAheadWaitsOnlyTheMaxBackoff() throws Exception {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusYears(5));
    try (ScriptedServer server = new ScriptedServer()) {
      server.then(429, "Retry-After", date).then(200);
      OkHttpClient client = coordinator.wrap(new OkHttpClient(), config().maxBackoff(Duration.ofMillis(200)).build());
      try (Response r = client.newCall(new Request.Builder().url(server.url("/x")).build()).execute()) {
        assertEquals(200, r.code());
      }
      assertEquals(2, server.received());
      assertTrue(server.gapMillis(1) < 5_000, "waited " + server.gapMillis(1) + " ms, capped at the 200 ms max backoff");
      assertEquals(1, coordinator.statistics().totals().retries());
    }
  }

  /**
   * A minute of 429 on every request, from 4 threads: every logical request ends after its retries with
   * the 429, none hangs, the run goes sequential, and the counters equal the server's count.
   */
  @Tag("long") // .ci/run runs it in its own step: mvn verify stays within 5 minutes
  @Test
  void aMinuteOf429OnEveryRequestEndsEveryCallWithExactCounts() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.createContext("/", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        answered.incrementAndGet();
        exchange.getResponseHeaders().add("Retry-After", "junk");
        exchange.sendResponseHeaders(429, -1);
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    servers.add(() -> server.stop(0));
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/x";
    OkHttpClient client = coordinator.wrap(new OkHttpClient(), config().maxConcurrentRequests(4).errorThreshold(0.5).build());

    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicInteger logical = new AtomicInteger();
    List<Future<?>> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(pool.submit(() -> {
        while (System.nanoTime() < end) {
          try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
            assertEquals(429, r.code(), "retries exhausted: the test gets the last 429");
            logical.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : threads) {
      f.get(120, TimeUnit.SECONDS); // a minute of storm, and every call ended
    }
    pool.shutdown();

    ApiStats s = coordinator.statistics().totals();
    assertEquals(logical.get(), s.requests());
    assertEquals(answered.get(), s.attempts(), "every attempt the server answered is counted, no more");
    assertEquals(4L * logical.get(), s.attempts(), "each request: 1 attempt + 3 retries");
    assertEquals(s.attempts(), s.rateLimited());
    assertEquals(logical.get(), s.exhausted());
    assertTrue(coordinator.runMode().sequential(), "the storm turned the run sequential: " + coordinator.runMode());
    assertEquals(0, coordinator.permitsHeld(PermitName.api("default")));
    assertEquals(0, coordinator.permitsHeld(PermitName.sequentialRequests()));
  }
}
