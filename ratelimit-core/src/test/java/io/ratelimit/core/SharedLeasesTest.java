package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.settings.SettingsSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shared holds through the public API, in the run directory (the default backend). */
class SharedLeasesTest {
  @TempDir
  Path runDir;

  @Test
  void sharedHoldersOverlapAndKeepASoleHolderOutOfTheSameName() {
    Map<String, String> env = Map.of("PYTEST_RUN_ID", "shared-" + UUID.randomUUID(), "PYTEST_RUN_DIR", runDir.toString());
    try (RateLimitCoordinator coordinator = RateLimitCoordinator.start(SettingsSource.ofEnvironment(env))) {
      ResourceLease first = coordinator.leases("A#read").acquireShared("account", Duration.ZERO);
      ResourceLease second = coordinator.leases("B#read").acquireShared("account", Duration.ZERO);
      assertEquals(List.of("account"), second.resources());
      List<LeaseInfo> held = coordinator.leases("check").list();
      assertEquals(2, held.size(), "both shared holders are listed under the name: " + held);
      assertTrue(held.stream().allMatch(l -> l.resource().equals("account")), held.toString());
      LeaseUnavailableException refused = assertThrows(LeaseUnavailableException.class,
          () -> coordinator.leases("C#write").acquire("account", Duration.ofMillis(200)));
      assertTrue(refused.getMessage().contains("A#read") && refused.getMessage().contains("B#read"), refused.getMessage());
      first.close();
      second.close();
      try (ResourceLease sole = coordinator.leases("C#write").acquire("account", Duration.ZERO)) {
        assertThrows(LeaseUnavailableException.class, () -> coordinator.leases("D#read").acquireShared("account", Duration.ofMillis(200)));
        assertEquals(List.of("account"), sole.resources());
      }
      ResourceLease again = coordinator.leases("D#read").acquireShared("account", Duration.ZERO);
      assertEquals(1, coordinator.leases("admin").free("account").size(), "freeing the name ends shared holds too");
      again.close();
      assertTrue(coordinator.leases("check").list().isEmpty());
    }
  }
}
