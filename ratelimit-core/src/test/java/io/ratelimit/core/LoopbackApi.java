package io.ratelimit.core;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;

/**
 * A real HTTP server on loopback (mockwebserver3, a thread per connection) that records what it saw:
 * arrival times and how many requests it was serving at once. Each request takes {@code latencyMillis}
 * to serve; the in-flight count drops before the response is written, so it never counts a request the
 * client may already consider done; {@link #crowdedStarts()} counts arrivals that found another request in
 * flight. {@code /warm-up} is answered at once and not counted; {@code /hold}
 * is answered only when the test lets go.
 */
final class LoopbackApi implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicInteger crowded = new AtomicInteger();
  private final AtomicInteger received = new AtomicInteger();
  private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Long> lateArrivals = new ConcurrentLinkedQueue<>();
  private final AtomicInteger holding = new AtomicInteger();
  private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);

  LoopbackApi(long latencyMillis) throws IOException {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        if (request.getUrl().encodedPath().equals("/warm-up")) {
          return new MockResponse.Builder().code(200).body("warm").build(); // opens connections, not counted
        }
        if (request.getUrl().encodedPath().equals("/hold")) {
          holding.incrementAndGet();
          held.await(60, TimeUnit.SECONDS); // until the test lets go
          return new MockResponse.Builder().code(200).body("held").build();
        }
        long arrival = System.nanoTime();
        arrivals.add(arrival);
        if (request.getUrl().encodedPath().equals("/late")) {
          lateArrivals.add(arrival);
        }
        received.incrementAndGet();
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        if (now > 1) {
          crowded.incrementAndGet();
        }
        try {
          TimeUnit.MILLISECONDS.sleep(latencyMillis); // the server's own work
        } finally {
          inFlight.decrementAndGet();
        }
        return new MockResponse.Builder().code(200).body("{\"ok\":true}").build();
      }
    });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  HttpUrl url(String path) {
    return server.url(path);
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  /** Requests that arrived while another was in flight. */
  int crowdedStarts() {
    return crowded.get();
  }

  int received() {
    return received.get();
  }

  /** Starts the arrival record afresh, e.g. after a warm-up. */
  void forgetArrivals() {
    arrivals.clear();
    lateArrivals.clear();
  }

  /** Arrival times, in nanoseconds, in order. */
  List<Long> arrivalTimesNanos() {
    List<Long> sorted = new ArrayList<>(arrivals);
    sorted.sort(null);
    return sorted;
  }

  /** Arrival times of the requests to {@code /late} (among {@link #arrivalTimesNanos()}), in nanoseconds, in order. */
  List<Long> lateArrivalTimesNanos() {
    List<Long> sorted = new ArrayList<>(lateArrivals);
    sorted.sort(null);
    return sorted;
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

  /** Requests to {@code /hold} that arrived; they are answered once {@link #letGo()} is called. */
  int holding() {
    return holding.get();
  }

  void letGo() {
    held.countDown();
  }

  @Override
  public void close() throws IOException {
    letGo();
    server.close();
  }
}
