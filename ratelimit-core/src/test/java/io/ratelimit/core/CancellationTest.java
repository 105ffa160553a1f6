package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cancelling or interrupting ends every wait promptly and gives the permit back. */
class CancellationTest {
  private static final long BOUND_SECONDS = 10;

  private final RateLimitCoordinator coordinator = RateLimitCoordinator.local();
  private final MockWebServer server = new MockWebServer();
  private final CountDownLatch releaseHeld = new CountDownLatch(1);
  private final AtomicInteger holdArrived = new AtomicInteger();
  private final AtomicInteger fastArrived = new AtomicInteger();
  private final AtomicInteger limitedArrived = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        switch (request.getUrl().encodedPath()) {
          case "/hold":
            holdArrived.incrementAndGet();
            releaseHeld.await(BOUND_SECONDS, TimeUnit.SECONDS);
            return new MockResponse.Builder().code(200).body("held").build();
          case "/limited":
            limitedArrived.incrementAndGet();
            // no Retry-After: a Retry-After would pause the whole run, the other call included
            return new MockResponse.Builder().code(429).body("slow down").build();
          default:
            fastArrived.incrementAndGet();
            return new MockResponse.Builder().code(200).body("fast").build();
        }
      }
    });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  @AfterEach
  void stop() throws IOException {
    releaseHeld.countDown();
    server.close();
    coordinator.close();
  }

  private OkHttpClient client() {
    return coordinator.newClient(RateLimitConfig.builder().maxConcurrentRequests(1).rateLimitDelay(Duration.ZERO)
        .baseBackoff(Duration.ofSeconds(30)).maxBackoff(Duration.ofSeconds(60)).build());
  }

  private Call call(OkHttpClient client, String path) {
    return client.newCall(new Request.Builder().url(server.url(path)).build());
  }

  private static CompletableFuture<String> inBackground(Call call) {
    return CompletableFuture.supplyAsync(() -> {
      try (Response r = call.execute()) {
        return r.code() + " " + r.body().string();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  private static void await(BooleanSupplier condition, String what) {
    Await.until(condition, Duration.ofSeconds(BOUND_SECONDS), what);
  }

  private static boolean waitsForAPermit(Thread thread) {
    // the table's wait, or (an API's in-flight cap in local mode) the bulkhead's
    return java.util.Arrays.stream(thread.getStackTrace())
        .anyMatch(frame -> frame.getMethodName().equals("acquirePermit") || frame.getMethodName().equals("tryAcquirePermission"));
  }

  @Test
  void aCallCancelledWhileWaitingForAPermitEndsAndTakesNone() throws Exception {
    OkHttpClient client = client();
    CompletableFuture<String> holder = inBackground(call(client, "/hold"));
    await(() -> holdArrived.get() == 1, "the holder reaches the server");

    Call waiting = call(client, "/fast");
    CompletableFuture<String> waiter = inBackground(waiting);
    waiting.cancel();

    ExecutionException e = assertThrows(ExecutionException.class, () -> waiter.get(BOUND_SECONDS, TimeUnit.SECONDS));
    assertInstanceOf(IOException.class, e.getCause().getCause());
    assertEquals(0, fastArrived.get(), "the cancelled call never reached the server");

    releaseHeld.countDown();
    assertEquals("200 held", holder.get(BOUND_SECONDS, TimeUnit.SECONDS));
    assertEquals("200 fast", inBackground(call(client, "/fast")).get(BOUND_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void cancellingAHeldCallGivesItsPermitBack() throws Exception {
    OkHttpClient client = client();
    Call held = call(client, "/hold");
    CompletableFuture<String> holder = inBackground(held);
    await(() -> holdArrived.get() == 1, "the holder reaches the server");

    held.cancel();
    assertThrows(ExecutionException.class, () -> holder.get(BOUND_SECONDS, TimeUnit.SECONDS));

    // cap is 1: this succeeds only if the cancelled call released its permit
    assertEquals("200 fast", inBackground(call(client, "/fast")).get(BOUND_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void noPermitIsHeldDuringBackoffAndCancelEndsTheBackoff() throws Exception {
    OkHttpClient client = client();
    Call limited = call(client, "/limited");
    CompletableFuture<String> backingOff = inBackground(limited);
    await(() -> limitedArrived.get() == 1, "the first attempt is answered 429");

    // cap is 1 and the limited call sleeps 30 s in backoff: another call must get through meanwhile
    assertEquals("200 fast", inBackground(call(client, "/fast")).get(BOUND_SECONDS, TimeUnit.SECONDS));

    limited.cancel();
    ExecutionException e = assertThrows(ExecutionException.class, () -> backingOff.get(BOUND_SECONDS, TimeUnit.SECONDS));
    assertInstanceOf(InterruptedIOException.class, e.getCause().getCause());
    assertEquals(1, limitedArrived.get());
  }

  @Test
  void interruptingAWaitingThreadEndsItsWait() throws Exception {
    OkHttpClient client = client();
    CompletableFuture<String> holder = inBackground(call(client, "/hold"));
    await(() -> holdArrived.get() == 1, "the holder reaches the server");

    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      try (Response r = call(client, "/fast").execute()) {
        outcome.complete(null);
      } catch (IOException e) {
        outcome.complete(e);
      }
    });
    waiter.start();
    await(() -> waitsForAPermit(waiter), "the caller waits for a permit");
    waiter.interrupt();

    assertInstanceOf(InterruptedIOException.class, outcome.get(BOUND_SECONDS, TimeUnit.SECONDS));
    assertEquals(0, fastArrived.get());
    releaseHeld.countDown();
    assertEquals("200 held", holder.get(BOUND_SECONDS, TimeUnit.SECONDS));
  }
}
