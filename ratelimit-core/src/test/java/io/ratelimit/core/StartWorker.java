package io.ratelimit.core;

import io.ratelimit.settings.SettingsSource;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A worker JVM that only starts its coordinator from the environment, as a test fork does on its first
 * request, prints {@code STARTED ms=<start-up time> coordination=<how it shares its limits>} and exits.
 * Given a URL, it then sends one limited GET there and takes one lease, and prints for each
 * {@code REQUEST <status>} / {@code LEASE taken}, or {@code REQUEST REFUSED <message>} / {@code LEASE REFUSED <message>}.
 */
public final class StartWorker {
  private StartWorker() {}

  public static void main(String[] args) {
    long start = System.nanoTime();
    try (RateLimitCoordinator coordinator = RateLimitCoordinator.start(SettingsSource.system())) {
      System.out.println("STARTED ms=" + (System.nanoTime() - start) / 1_000_000 + " coordination=" + coordinator.coordination());
      if (args.length > 0) {
        OkHttpClient client = coordinator.newClient(RateLimitConfig.fromEnvironment());
        try (Response r = client.newCall(new Request.Builder().url(args[0]).build()).execute()) {
          System.out.println("REQUEST " + r.code());
        } catch (IllegalStateException | java.io.IOException e) {
          System.out.println("REQUEST REFUSED " + e.getMessage());
        }
        try (ResourceLease lease = coordinator.leases("start-worker").acquire("account", Duration.ofSeconds(5))) {
          System.out.println("LEASE taken");
        } catch (IllegalStateException e) {
          System.out.println("LEASE REFUSED " + e.getMessage());
        }
      }
    }
    System.exit(0);
  }
}
