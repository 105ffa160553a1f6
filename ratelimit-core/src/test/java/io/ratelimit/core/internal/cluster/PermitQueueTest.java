package io.ratelimit.core.internal.cluster;

import io.ratelimit.core.internal.pacing.Pacing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.AbstractMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The permit table's queue, through the entry processors' own logic: permits go to waiters in the order
 * they asked, a worker that asks without queueing never overtakes a queued one, and a waiter that stops
 * asking (or withdraws) loses its place.
 */
class PermitQueueTest {
  private final Map.Entry<String, PermitTable> entry = new AbstractMap.SimpleEntry<>("api:x", null);

  private boolean ask(String lease, long now, long ticketMillis) {
    return new AcquirePermit(lease, "member-" + lease, 1, 15_000, ticketMillis).process(entry, now, now * 1_000_000) != null;
  }

  private void release(String lease, long now) {
    new ReleasePermit(lease).process(entry, now, now * 1_000_000);
  }

  @Test
  void aReleasedPermitGoesToTheOldestWaiterNotToWhoeverAsksFirst() {
    assertTrue(ask("holder", 0, 0));
    assertFalse(ask("first", 10, 1_000));
    assertFalse(ask("second", 20, 1_000));
    release("holder", 30);

    assertFalse(ask("barger", 31, 0), "a fast-path ask does not overtake the queue");
    assertFalse(ask("second", 32, 1_000), "nor does the second waiter");
    assertTrue(ask("first", 33, 1_000));
    release("first", 40);
    assertTrue(ask("second", 41, 1_000));
    assertEquals(1, entry.getValue().size());
  }

  @Test
  void aPermitComesWithAStartSlotSpacedFromThePreviousOne() {
    Pacing.Params spacing = Pacing.Params.fixed(50_000_000);
    long first = new AcquirePermit("a", "m", 10, 15_000, 0, spacing, 5_000_000).process(entry, 1_000, 1_000_000_000L)[0];
    long second = new AcquirePermit("b", "m", 10, 15_000, 0, spacing, 5_000_000).process(entry, 1_000, 1_000_000_000L)[0];
    long third = new ReserveSlot(spacing, 5_000_000).process(entry, 1_000, 1_000_000_000L)[0];
    assertEquals(1_005_000_000L, first, "the first slot lies the lead ahead of the owner's clock");
    assertEquals(first + spacing.floorNanos(), second);
    assertEquals(second + spacing.floorNanos(), third, "a slot reserved alone follows the same sequence");
    long[] refused = new AcquirePermit("c", "m", 2, 15_000, 0, spacing, 5_000_000).process(entry, 1_000, 1_000_000_000L);
    assertEquals(null, refused, "cap 2 is full: no permit and no slot taken");
    assertEquals(third + spacing.floorNanos(), new ReserveSlot(spacing, 5_000_000).process(entry, 1_000, 1_000_000_000L)[0]);
  }

  @Test
  void aWaiterThatStopsAskingLosesItsPlace() {
    assertTrue(ask("holder", 0, 0));
    assertFalse(ask("gone", 10, 1_000));
    assertFalse(ask("patient", 20, 1_000));
    release("holder", 30);
    assertFalse(ask("patient", 500, 1_000), "the first waiter's ticket still lives");
    assertTrue(ask("patient", 1_011, 1_000), "it expired 1 s after its last ask");
  }

  @Test
  void aWithdrawnWaiterFreesTheTurnAtOnce() {
    assertTrue(ask("holder", 0, 0));
    assertFalse(ask("impatient", 10, 1_000));
    assertFalse(ask("patient", 20, 1_000));
    release("impatient", 25); // its wait timed out
    release("holder", 30);
    assertTrue(ask("patient", 31, 1_000));
  }
}
