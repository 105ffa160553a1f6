package io.ratelimit.core;

import io.ratelimit.settings.SettingsSource;

/**
 * A worker JVM that only starts its coordinator from the environment, as a test fork does on its first
 * request, prints {@code STARTED ms=<start-up time> coordination=<how it shares its limits>} and exits.
 */
public final class StartWorker {
  private StartWorker() {}

  public static void main(String[] args) {
    long start = System.nanoTime();
    try (RateLimitCoordinator coordinator = RateLimitCoordinator.start(SettingsSource.system())) {
      System.out.println("STARTED ms=" + (System.nanoTime() - start) / 1_000_000 + " coordination=" + coordinator.coordination());
    }
    System.exit(0);
  }
}
