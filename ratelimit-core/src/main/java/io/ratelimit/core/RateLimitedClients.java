package io.ratelimit.core;

import io.ratelimit.core.internal.jvm.Jvm;
import io.ratelimit.core.spi.TestAttribution;
import io.ratelimit.settings.SettingsSource;
import java.util.Optional;
import okhttp3.OkHttpClient;

/**
 * Rate-limited OkHttp clients, the entry point for use without JUnit. All clients made here in one JVM
 * share one {@link RateLimitCoordinator}, so their limits and statistics add up. Close it when the program
 * is done: its counters are flushed to the run's cluster and this JVM leaves it.
 *
 * <pre>{@code
 * try (RateLimitCoordinator limiter = RateLimitedClients.coordinator()) {
 *   OkHttpClient client = limiter.newClient(RateLimitConfigReader.fromEnvironment()); // or limiter.wrap(myClient, config)
 *   try (Response response = client.newCall(request).execute()) { ... }
 *   System.out.println(limiter.statistics().summary());
 * }
 * }</pre>
 *
 * <p>A program that does not close it still ends when its own threads are done ({@code main} returned or
 * threw), and at {@code System.exit}: the coordinator then closes itself, counters flushed first.
 */
public final class RateLimitedClients {
  private RateLimitedClients() {}

  /**
   * The JVM's limiter, its one ({@link Jvm}): the JVM has one limiter for all its clients, one set of threads
   * to tell tests apart on, one set of loggers.
   */
  private static JvmLimiter jvm() {
    return Jvm.one(JvmLimiter.class, JvmLimiter::new);
  }

  /**
   * What the JVM shares: its coordinator, and what every coordinator of the JVM reads (which test each
   * thread runs, whether {@code PYTEST_DEBUG} is on).
   */
  private static final class JvmLimiter {
    private final TestAttribution attribution = new TestAttribution();
    private volatile boolean debugLogging;
    private RateLimitCoordinator shared; // guarded by this

    synchronized RateLimitCoordinator coordinator(SettingsSource source) {
      if (shared == null || shared.isClosed()) {
        shared = RateLimitCoordinator.start(source);
      }
      return shared;
    }

    synchronized Optional<RateLimitCoordinator> current() {
      return shared == null || shared.isClosed() ? Optional.empty() : Optional.of(shared);
    }
  }

  /** A new client that keeps to {@code config}'s limits. */
  public static OkHttpClient create(RateLimitConfig config) {
    return coordinator().newClient(config);
  }

  /** {@code client} with the limiter added, keeping its timeouts, interceptors and TLS set-up. */
  public static OkHttpClient wrap(OkHttpClient client, RateLimitConfig config) {
    return coordinator().wrap(client, config);
  }

  /**
   * {@code client} for requests that provoke 429s on purpose: limited and counted as any other, but a request
   * of it that the limiter gives up on (retries exhausted, no permit in time) is not told to its test as
   * throttled, so the test keeps the raw last response and ends as its own body says. (The JUnit extension
   * gives such a client to an {@code @ExpectRateLimits OkHttpClient} parameter.)
   */
  public static OkHttpClient expectingRateLimits(OkHttpClient client) {
    return io.ratelimit.core.internal.retry.RateLimitsExpected.marking(client);
  }

  /** What the limiter did so far. */
  public static RateLimitStats statistics() {
    return coordinator().statistics();
  }

  /**
   * The coordinator all clients of this JVM share, started on first use from system properties and the
   * environment: a member of the run's cluster (see {@link RateLimitCoordinator#start}). Closing it (e.g.
   * with try-with-resources around the program's work) flushes the counters and leaves the cluster; a
   * later call starts a new one.
   */
  public static RateLimitCoordinator coordinator() {
    return coordinator(SettingsSource.system());
  }

  /**
   * The coordinator all clients of this JVM share; if none is running, starts one from {@code source}
   * (e.g. JUnit configuration parameters over the environment).
   */
  public static RateLimitCoordinator coordinator(SettingsSource source) {
    return jvm().coordinator(source);
  }

  /** The JVM-wide coordinator if one is running. */
  public static Optional<RateLimitCoordinator> current() {
    return jvm().current();
  }

  /**
   * Which test each thread of this JVM runs, for the report's per-test figures ({@link RateLimitCoordinator#testStatistics()}):
   * a test integration marks its test threads here ({@link TestAttribution#enter}), and every coordinator of the JVM reads it.
   */
  public static TestAttribution testAttribution() {
    return jvm().attribution;
  }

  /**
   * Whether the library's DEBUG messages come out at INFO in this JVM: turned on by {@code PYTEST_DEBUG=true}
   * (any coordinator or client configured so), or by {@link #debugLogging(boolean)}.
   */
  public static boolean debugLogging() {
    return jvm().debugLogging;
  }

  /** Turns the library's DEBUG messages at INFO on (or off) for the whole JVM, from now on (see {@link io.ratelimit.core.spi.Logs}). */
  public static void debugLogging(boolean on) {
    jvm().debugLogging = on;
  }
}
