package io.ratelimit.core;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.ratelimit.core.internal.jvm.LazyTls;
import io.ratelimit.core.internal.jvm.OkHttpWarmUp;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * The one OkHttp client this JVM's rate-limited clients are made from: they share its connection pool and
 * its dispatcher, as OkHttp recommends ("create a single OkHttpClient and reuse it"). Its dispatcher lets
 * as many asynchronous calls go per host as in all (64): the limiter is the limit, not a hidden per-host
 * cap of 5. Its threads are daemons, so they never keep a finished JVM alive.
 */
final class SharedOkHttp {
  private static final int MAX_ASYNC_CALLS = 64;

  private final OkHttpClient client;
  /** The exchange that warms OkHttp's request path up before the first request (see {@link OkHttpWarmUp}). */
  private final OkHttpWarmUp warmUp;

  private SharedOkHttp() {
    client = create();
    warmUp = OkHttpWarmUp.start(client);
  }

  /** Made on first use (class initialisation is lazy and thread-safe): the client, and its warm-up started with it. */
  private static final class Holder {
    /**
     * One of the library's few JVM-wide statics (see docs/architecture.md): OkHttp's connection pool and
     * dispatcher are meant to be one per JVM, shared by every client made from them.
     */
    static final SharedOkHttp JVM = new SharedOkHttp();
  }

  static OkHttpClient client() {
    return Holder.JVM.client;
  }

  /** The warm-up exchange started with the shared client. */
  static OkHttpWarmUp warmUp() {
    return Holder.JVM.warmUp;
  }

  /**
   * Makes the shared client (OkHttp's TLS set-up alone takes a cold JVM 100-150 ms) and starts its warm-up on
   * a daemon thread, so both run while the caller does other start-up work; a caller that needs the client
   * sooner waits for it (class initialisation is done once, and other threads wait for it).
   */
  static void prepareInBackground() {
    Thread thread = new Thread(SharedOkHttp::warmUp, "ratelimit-okhttp-set-up");
    thread.setDaemon(true);
    thread.start();
  }

  private static OkHttpClient create() {
    AtomicInteger threads = new AtomicInteger();
    // OkHttp's own default executor (no core threads, unbounded, 60 s keep-alive), with daemon threads
    ThreadPoolExecutor executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "ratelimit-okhttp-dispatcher-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    Dispatcher dispatcher = new Dispatcher(executor);
    dispatcher.setMaxRequests(MAX_ASYNC_CALLS);
    dispatcher.setMaxRequestsPerHost(MAX_ASYNC_CALLS);
    // TLS is set up on the first TLS connection: an API on plain HTTP never pays for it (see LazyTls)
    return new LazyTls().applyTo(new OkHttpClient.Builder().dispatcher(dispatcher)).build();
  }
}
