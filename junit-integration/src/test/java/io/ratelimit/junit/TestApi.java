package io.ratelimit.junit;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;

/**
 * A loopback API for the extension's tests: every path takes {@code latencyMillis} to serve and records
 * how many of its requests were in flight at most; the first {@code rateLimitedFirst} requests are
 * answered 429 with {@code Retry-After: 0}; {@code /hang} answers only when the server closes.
 */
final class TestApi implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> maxInFlight = new ConcurrentHashMap<>();
  private final AtomicInteger received = new AtomicInteger();
  private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
  private final AtomicInteger hanging = new AtomicInteger();

  TestApi(long latencyMillis, int rateLimitedFirst) throws IOException {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        if (received.incrementAndGet() <= rateLimitedFirst) {
          return new MockResponse.Builder().code(429).addHeader("Retry-After", "0").body("slow down").build();
        }
        String path = request.getUrl().encodedPath();
        if (path.equals("/hang")) { // answers only when the server closes: its caller holds a permit till then
          hanging.incrementAndGet();
          closed.await(10, TimeUnit.MINUTES);
          return new MockResponse.Builder().code(503).build();
        }
        int now = inFlight.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        maxInFlight.computeIfAbsent(path, p -> new AtomicInteger()).accumulateAndGet(now, Math::max);
        try {
          TimeUnit.MILLISECONDS.sleep(latencyMillis); // the server's own work
        } finally {
          inFlight.get(path).decrementAndGet();
        }
        return new MockResponse.Builder().code(200).body("ok").build();
      }
    });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  HttpUrl url(String path) {
    return server.url(path);
  }

  int maxInFlight(String path) {
    return maxInFlight.getOrDefault(path, new AtomicInteger()).get();
  }

  int received() {
    return received.get();
  }

  /** Requests to {@code /hang} waiting now (or that waited until the server closed). */
  int hanging() {
    return hanging.get();
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    server.close();
  }
}
