package io.ratelimit.core.spi;

import io.ratelimit.core.internal.leases.LeaseSettings;
import io.ratelimit.settings.SettingsReader;

/** The core's settings an integration validates with its own, so one error names every bad value. */
public final class CoreSettings {
  private CoreSettings() {}

  /**
   * Reads the lease settings ({@code PYTEST_RESOURCE_POOLS}, {@code PYTEST_LEASE_WAIT}, {@code PYTEST_POOL_WAIT},
   * {@code PYTEST_LEASE_TIMEOUT}) into {@code reader}: their problems join the reader's. The coordinator reads
   * and keeps them itself.
   */
  public static void checkLeaseSettings(SettingsReader reader) {
    LeaseSettings.read(reader);
  }
}
