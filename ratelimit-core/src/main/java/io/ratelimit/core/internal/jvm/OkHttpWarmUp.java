package io.ratelimit.core.internal.jvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One HTTP/1.1 exchange with a throwaway server on loopback, made in the background when a JVM makes its
 * first rate-limited client. A cold JVM's first request spends 50-200 ms loading and interpreting OkHttp's
 * request and response path after it left its start slot, so it reaches the API late and crowds the next
 * slot's request, which the API then refuses; the first real request that waits for this exchange
 * (bounded) leaves on time. The exchange costs the API nothing: it never leaves the machine.
 */
public final class OkHttpWarmUp {
  /** The longest an admission waits for the exchange; after it, the request goes cold. */
  private static final Duration AWAIT_BOUND = Duration.ofSeconds(2);
  private static final Duration EXCHANGE_BOUND = Duration.ofSeconds(3);

  private final CompletableFuture<Boolean> done = new CompletableFuture<>();

  private OkHttpWarmUp() {}

  /** Starts the exchange with {@code client}'s classes, on a daemon thread. */
  public static OkHttpWarmUp start(OkHttpClient client) {
    OkHttpWarmUp warmUp = new OkHttpWarmUp();
    Thread thread = new Thread(() -> {
      boolean exchanged = false;
      try {
        exchange(client);
        exchanged = true;
      } catch (IOException | RuntimeException e) {
        // the warm-up is an optimisation: a failed one leaves the first request cold, nothing else
      } finally {
        warmUp.done.complete(exchanged);
      }
    }, "ratelimit-warm-up");
    thread.setDaemon(true);
    thread.start();
    return warmUp;
  }

  /** Returns once the exchange is done, or after its bound. */
  public void await() {
    if (done.isDone()) {
      return;
    }
    try {
      done.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // go cold
    }
  }

  /** True once the exchange completed (false while it runs, or if it failed). */
  public boolean succeeded() {
    return done.getNow(false);
  }

  private static void exchange(OkHttpClient client) throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout((int) EXCHANGE_BOUND.toMillis());
      Thread answer = new Thread(() -> answerOne(server), "ratelimit-warm-up-server");
      answer.setDaemon(true);
      answer.start();
      OkHttpClient bounded = client.newBuilder().callTimeout(EXCHANGE_BOUND).retryOnConnectionFailure(false)
          .proxy(java.net.Proxy.NO_PROXY).build(); // never through a proxy: the exchange stays on this machine
      Request request = new Request.Builder().url("http://127.0.0.1:" + server.getLocalPort() + "/warm-up")
          .header("Connection", "close").build();
      try (Response response = bounded.newCall(request).execute()) {
        response.body().string();
      }
    }
  }

  private static void answerOne(ServerSocket server) {
    try (Socket socket = server.accept()) {
      socket.setSoTimeout((int) EXCHANGE_BOUND.toMillis());
      InputStream in = socket.getInputStream();
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      for (int b; matched < 4 && (b = in.read()) != -1; ) {
        matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      OutputStream out = socket.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      // the client side gives up within its own bound
    }
  }
}
