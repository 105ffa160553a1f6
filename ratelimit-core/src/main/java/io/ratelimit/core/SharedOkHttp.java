package io.ratelimit.core;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  private static volatile OkHttpClient client;
  /** Set with {@link #client}: the exchange that warms OkHttp's request path up before the first request. */
  private static volatile io.ratelimit.core.internal.OkHttpWarmUp warmUp;

  private SharedOkHttp() {}

  static OkHttpClient client() {
    OkHttpClient c = client;
    if (c == null) {
      synchronized (SharedOkHttp.class) {
        c = client;
        if (c == null) {
          c = create();
          warmUp = io.ratelimit.core.internal.OkHttpWarmUp.start(c);
          client = c;
        }
      }
    }
    return c;
  }

  /** The warm-up exchange started with the shared client. */
  static io.ratelimit.core.internal.OkHttpWarmUp warmUp() {
    client();
    return warmUp;
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
    return new OkHttpClient.Builder().dispatcher(dispatcher).build();
  }
}
