package io.ratelimit.core;

import io.ratelimit.settings.SettingsSource;
import java.util.Optional;
import okhttp3.OkHttpClient;

/**
 * Rate-limited OkHttp clients, the entry point for use without JUnit. All clients made here in one JVM
 * share one {@link RateLimitCoordinator}, so their limits and statistics add up.
 *
 * <pre>{@code
 * OkHttpClient client = RateLimitedClients.create(RateLimitConfig.fromEnvironment());
 * try (Response response = client.newCall(request).execute()) { ... }
 * System.out.println(RateLimitedClients.statistics().summary());
 * }</pre>
 */
public final class RateLimitedClients {
  private static RateLimitCoordinator shared;

  private RateLimitedClients() {}

  /** A new client that keeps to {@code config}'s limits. */
  public static OkHttpClient create(RateLimitConfig config) {
    return coordinator().newClient(config);
  }

  /** {@code client} with the limiter added, keeping its timeouts, interceptors and TLS set-up. */
  public static OkHttpClient wrap(OkHttpClient client, RateLimitConfig config) {
    return coordinator().wrap(client, config);
  }

  /** What the limiter did so far. */
  public static RateLimitStats statistics() {
    return coordinator().statistics();
  }

  /**
   * The coordinator all clients of this JVM share, started on first use from system properties and the
   * environment: a member of the run's cluster (see {@link RateLimitCoordinator#start}).
   */
  public static RateLimitCoordinator coordinator() {
    return coordinator(SettingsSource.system());
  }

  /**
   * The coordinator all clients of this JVM share; if none is running, starts one from {@code source}
   * (e.g. JUnit configuration parameters over the environment).
   */
  public static synchronized RateLimitCoordinator coordinator(SettingsSource source) {
    if (shared == null || shared.isClosed()) {
      shared = RateLimitCoordinator.start(source);
    }
    return shared;
  }

  /** The JVM-wide coordinator if one is running. */
  public static synchronized Optional<RateLimitCoordinator> current() {
    return shared == null || shared.isClosed() ? Optional.empty() : Optional.of(shared);
  }
}
