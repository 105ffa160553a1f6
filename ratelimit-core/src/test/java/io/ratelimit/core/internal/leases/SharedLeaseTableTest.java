package io.ratelimit.core.internal.leases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules of shared holds in a lease table, which every backend applies as they are. */
class SharedLeaseTableTest {
  private static final String READ = LeaseTable.shared("account");

  private static LeaseTable.Lease lease(String id, long now) {
    return new LeaseTable.Lease(id, "w1/" + id, "holder-" + id, now, Long.MAX_VALUE, now + 60_000);
  }

  @Test
  void sharedHoldersHoldTogetherAndKeepASoleHolderOut() {
    LeaseTable table = new LeaseTable();
    assertEquals(List.of(READ), table.take(List.of(READ), 1, lease("r1", 1_000)));
    assertEquals(List.of(READ), table.take(List.of(READ), 1, lease("r2", 1_000)));
    assertEquals(List.of(), table.take(List.of("account"), 1, lease("w", 1_000)), "two shared holders keep the sole one out");
    assertEquals(List.of("account"), table.release("r1"));
    assertEquals(List.of(), table.take(List.of("account"), 1, lease("w", 1_001)));
    assertEquals(List.of("account"), table.release("r2"));
    assertEquals(List.of("account"), table.take(List.of("account"), 1, lease("w", 1_002)));
    assertEquals(List.of(), table.take(List.of(READ), 1, lease("r3", 1_003)), "a sole holder keeps shared ones out");
    assertEquals(Map.of("account", "w"), Map.of("account", table.leases().get("account").leaseId()), "its wish ended with its turn");
    assertEquals(1, table.leases().size());
  }

  @Test
  void aWaitingSoleHolderKeepsNewSharedHoldersOutUntilItsWishLapses() {
    LeaseTable table = new LeaseTable();
    table.take(List.of(READ), 1, lease("r1", 1_000));
    assertEquals(List.of(), table.take(List.of("account"), 1, lease("w", 1_000)));
    assertEquals(List.of(), table.take(List.of(READ), 1, lease("r2", 1_500)), "no new reader while a writer waits");
    assertEquals(List.of(READ), table.take(List.of(READ), 1, lease("r1", 1_500)), "a holder taking its own again still may");
    long lapsed = 1_000 + LeaseTable.INTENT_MILLIS;
    assertEquals(List.of(READ), table.take(List.of(READ), 1, lease("r2", lapsed)), "a writer that stopped asking keeps none out");
  }

  @Test
  void sharedHoldsEndWithTheirHolderAndAreFreedByTheirItem() {
    LeaseTable table = new LeaseTable();
    table.take(List.of(READ), 1, lease("r1", 1_000));
    table.take(List.of(READ), 1, lease("r2", 1_000));
    assertEquals(List.of("account"), table.releaseHolder("holder-r1"));
    Map<String, LeaseTable.Lease> freed = table.free("account");
    assertEquals(1, freed.size());
    assertEquals("r2", freed.values().iterator().next().leaseId());
    assertTrue(table.isEmpty());
    assertEquals(List.of("account"), table.take(List.of("account"), 1, lease("w", 1_001)));
  }

  @Test
  void entriesNameTheirItem() {
    LeaseTable table = new LeaseTable();
    table.take(List.of(READ), 1, lease("r1", 1_000));
    String entry = table.leases().keySet().iterator().next();
    assertEquals("account", LeaseTable.itemOf(entry));
    assertTrue(LeaseTable.holds(table.leases(), READ, "r1"));
    assertFalse(LeaseTable.holds(table.leases(), READ, "r2"));
    assertFalse(LeaseTable.isWish(entry));
  }
}
