package io.ratelimit.examples.demoapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small JSON API of "items" that enforces a {@link DemoQuota}, on a loopback port.
 *
 * <ul>
 *   <li>{@code POST /items} {"name": ..., "owner": ...} creates an item (201, with its {@code id});</li>
 *   <li>{@code GET /items/{id}} reads one (404 if unknown); {@code PUT /items/{id}} updates its name;</li>
 *   <li>{@code GET /items?owner=x} lists one owner's items; {@code GET /stats} shows the server's counters
 *       (not rate limited).</li>
 * </ul>
 *
 * A request over the rate or in-flight quota is answered {@code 429} with {@code Retry-After} in
 * whole seconds, before any work is done.
 */
public final class DemoApi implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DemoQuota quota;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "demo-api");
    t.setDaemon(true);
    return t;
  });
  private final TokenBucket bucket;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong nextId = new AtomicLong();
  private final Map<Long, ObjectNode> items = new ConcurrentHashMap<>();
  private final CountDownLatch lifetime = new CountDownLatch(1);
  private final List<HttpServer> extraPorts = new CopyOnWriteArrayList<>();
  private final Map<Integer, PortCounters> byPort = new ConcurrentHashMap<>();
  private volatile CountDownLatch stall = new CountDownLatch(0);

  /** What arrived on one port: fault drills give each worker a port of its own to count it separately. */
  private record PortCounters(AtomicLong received, AtomicInteger inFlight) {
    PortCounters() {
      this(new AtomicLong(), new AtomicInteger());
    }
  }

  private DemoApi(DemoQuota quota, int port) throws IOException {
    this.quota = quota;
    this.bucket = new TokenBucket(quota.requestsPerSecond(), quota.burst(), System.nanoTime());
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
    serve(server);
  }

  private void serve(HttpServer on) {
    on.setExecutor(threads);
    on.createContext("/stats", this::stats);
    on.createContext("/items", this::items);
    byPort.put(on.getAddress().getPort(), new PortCounters());
    on.start();
  }

  /** Starts the API on a free loopback port. */
  public static DemoApi start(DemoQuota quota) throws IOException {
    return new DemoApi(quota, 0);
  }

  /** Starts the API on {@code port} of the loopback interface. */
  public static DemoApi start(DemoQuota quota, int port) throws IOException {
    return new DemoApi(quota, port);
  }

  /** The API's base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requests received, 429s included. */
  public long received() {
    return byPort.values().stream().mapToLong(c -> c.received().get()).sum();
  }

  /** Requests answered 429. */
  public long rejected() {
    return rejected.get();
  }

  /** Most requests served at once. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /**
   * Opens one more loopback port onto this same API, items and quota, and returns its base URL: what
   * arrives there is also counted on its own ({@link #receivedOn}, {@link #inFlightOn}), so a fault drill
   * that gives each worker its own port knows what each one sent.
   */
  public String openPort() throws IOException {
    HttpServer extra = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    extraPorts.add(extra);
    serve(extra);
    return "http://127.0.0.1:" + extra.getAddress().getPort();
  }

  /** Requests received on the port of {@code baseUrl} (one this API listens on), 429s included. */
  public long receivedOn(String baseUrl) {
    return countersOf(baseUrl).received().get();
  }

  /** Requests on the port of {@code baseUrl} that have arrived and are not yet answered. */
  public int inFlightOn(String baseUrl) {
    return countersOf(baseUrl).inFlight().get();
  }

  private PortCounters countersOf(String baseUrl) {
    PortCounters counters = byPort.get(URI.create(baseUrl).getPort());
    if (counters == null) {
      throw new IllegalArgumentException("this API does not listen on " + baseUrl);
    }
    return counters;
  }

  /** Requests that have arrived and are not yet answered, on every port. */
  public int inFlight() {
    return byPort.values().stream().mapToInt(c -> c.inFlight().get()).sum();
  }

  /**
   * Fault drill: the API stalls. Requests admitted from now on are held (each at most 30 s) until
   * {@link #resume()}; until then they count as in flight.
   */
  public void stall() {
    stall = new CountDownLatch(1);
  }

  /** Ends a {@link #stall()}: the held requests are answered. */
  public void resume() {
    stall.countDown();
  }

  private void stats(HttpExchange exchange) throws IOException {
    ObjectNode body = JSON.createObjectNode()
        .put("received", received())
        .put("rejected", rejected.get())
        .put("maxInFlight", maxInFlight.get())
        .put("items", items.size());
    send(exchange, 200, body.toString());
  }

  private void items(HttpExchange exchange) throws IOException {
    PortCounters port = byPort.get(exchange.getLocalAddress().getPort());
    port.received().incrementAndGet();
    port.inFlight().incrementAndGet();
    try {
      admit(exchange);
    } finally {
      port.inFlight().decrementAndGet();
    }
  }

  private void admit(HttpExchange exchange) throws IOException {
    long wait = bucket.tryTake(System.nanoTime());
    if (wait > 0) {
      tooMany(exchange, wait);
      return;
    }
    int now = inFlight.incrementAndGet();
    try {
      if (now > quota.maxInFlight()) {
        tooMany(exchange, TimeUnit.SECONDS.toNanos(1));
        return;
      }
      maxInFlight.accumulateAndGet(now, Math::max);
      work();
      route(exchange);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void tooMany(HttpExchange exchange, long waitNanos) throws IOException {
    rejected.incrementAndGet();
    long seconds = Math.max(1, (long) Math.ceil(waitNanos / 1e9));
    exchange.getResponseHeaders().set("Retry-After", Long.toString(seconds));
    send(exchange, 429, "{\"error\":\"rate limit exceeded\"}");
  }

  private void work() {
    try {
      TimeUnit.NANOSECONDS.sleep(quota.latency().toNanos());
      stall.await(30, TimeUnit.SECONDS); // bounded: a drill that forgets to resume cannot hang a build
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    URI uri = exchange.getRequestURI();
    String[] path = uri.getPath().split("/");
    String method = exchange.getRequestMethod();
    if (path.length == 2 && method.equals("POST")) {
      ObjectNode item = (ObjectNode) JSON.readTree(body(exchange));
      long id = nextId.incrementAndGet();
      item.put("id", id).put("version", 1);
      items.put(id, item);
      send(exchange, 201, item.toString());
    } else if (path.length == 2 && method.equals("GET")) {
      String owner = query(uri, "owner");
      var list = JSON.createArrayNode();
      items.values().stream()
          .filter(i -> owner == null || owner.equals(i.path("owner").asText()))
          .sorted(Comparator.comparingLong(i -> i.get("id").asLong()))
          .forEach(list::add);
      send(exchange, 200, list.toString());
    } else if (path.length == 3) {
      ObjectNode item = parseId(path[2]) == null ? null : items.get(parseId(path[2]));
      if (item == null) {
        send(exchange, 404, "{\"error\":\"no such item\"}");
      } else if (method.equals("GET")) {
        send(exchange, 200, item.toString());
      } else if (method.equals("PUT")) {
        ObjectNode changes = (ObjectNode) JSON.readTree(body(exchange));
        synchronized (item) {
          item.put("name", changes.path("name").asText(item.path("name").asText()));
          item.put("version", item.get("version").asLong() + 1);
        }
        send(exchange, 200, item.toString());
      } else if (method.equals("DELETE")) {
        items.remove(item.get("id").asLong());
        send(exchange, 204, "");
      } else {
        send(exchange, 405, "{\"error\":\"method not allowed\"}");
      }
    } else {
      send(exchange, 404, "{\"error\":\"not found\"}");
    }
  }

  private static Long parseId(String text) {
    return text.matches("[0-9]{1,18}") ? Long.valueOf(text) : null;
  }

  private static String query(URI uri, String name) {
    if (uri.getRawQuery() == null) {
      return null;
    }
    for (String pair : uri.getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv[0].equals(name) && kv.length == 2) {
        return java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static String body(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, code == 204 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    resume();
    extraPorts.forEach(extra -> extra.stop(0));
    server.stop(0);
    threads.shutdownNow();
  }

  /**
   * Runs the demo API in its own JVM: {@code DemoApi [port [requestsPerSecond [maxInFlight [watchPid]]]]}.
   * It prints {@code demo API listening on <url>} and runs until {@code POST /shutdown}, until the
   * process {@code watchPid} (e.g. the build that started it) ends, or after five idle minutes, so a
   * demo never outlives its build.
   */
  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    double rate = args.length > 1 ? Double.parseDouble(args[1]) : DemoQuota.DEFAULT.requestsPerSecond();
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : DemoQuota.DEFAULT.maxInFlight();
    DemoApi api = start(new DemoQuota(rate, DemoQuota.DEFAULT.burst(), inFlight, DemoQuota.DEFAULT.latency()), port);
    api.server.createContext("/shutdown", exchange -> {
      send(exchange, 200, "{\"stopping\":true}");
      api.lifetime.countDown();
    });
    if (args.length > 3) {
      ProcessHandle.of(Long.parseLong(args[3])).ifPresentOrElse(
          watched -> watched.onExit().thenRun(api.lifetime::countDown), api.lifetime::countDown);
    }
    System.out.println("demo API listening on " + api.baseUrl());
    System.out.flush();
    try {
      long lastSeen = -1;
      while (!api.lifetime.await(5, TimeUnit.MINUTES)) {
        if (api.received() == lastSeen) {
          break; // idle for five minutes
        }
        lastSeen = api.received();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    api.close();
    System.exit(0);
  }
}
