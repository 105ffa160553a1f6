package io.ratelimit.core.internal.jvm;

import io.ratelimit.core.internal.leases.LeaseTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The freeze detector on a clock the test moves (a real freeze is {@code RunFormationTest}'s SIGSTOP), and
 * the lease table's taking over of a lease by its own id, which a JVM does after a freeze.
 */
class FreezeDetectorTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void aGapPastTheThresholdIsOneFreezeWhoeverNoticesItFirst() throws InterruptedException {
    AtomicLong clock = new AtomicLong(1_000 * SECOND);
    FreezeDetector detector = new FreezeDetector(3 * SECOND, clock::get);
    BlockingQueue<Duration> told = new ArrayBlockingQueue<>(4);
    detector.onFreeze(told::add);
    for (int i = 0; i < 50; i++) { // ticks 100 ms apart, a busy machine's 2.9 s hiccup among them
      clock.addAndGet(i == 20 ? 2_900_000_000L : 100_000_000L);
      detector.tick();
    }
    assertEquals(0, detector.freezes());

    clock.addAndGet(6 * SECOND); // frozen: a request thread looks before the ticking thread has run
    assertEquals(1, detector.freezes());
    assertEquals(1, detector.freezes());
    detector.tick();
    assertEquals(1, detector.freezes(), "the tick after it does not count it again");
    assertEquals(Duration.ofSeconds(6), told.poll(10, TimeUnit.SECONDS));
    assertEquals(Duration.ofSeconds(6), detector.lastFreeze());

    clock.addAndGet(4 * SECOND);
    detector.tick();
    assertEquals(2, detector.freezes());
    assertEquals(Duration.ofSeconds(4), told.poll(10, TimeUnit.SECONDS));
    assertTrue(told.isEmpty());
  }

  @Test
  void theThresholdIsSixTenthsOfTheHeartbeatTimeout() {
    assertEquals(Duration.ofSeconds(3), FreezeDetector.THRESHOLD);
    assertEquals(0, FreezeDetector.never().freezes());
  }

  @Test
  void aLeaseTakenAgainByItsOwnIdMovesToTheNewHolderAndKeepsItsTimes() {
    LeaseTable table = new LeaseTable();
    assertEquals(List.of("a", "b"), table.take(List.of("a", "b", "c"), 2, new LeaseTable.Lease("L1", "w1/T#t", "old", 100, 1_000, 5_000)));
    assertEquals(List.of(), table.take(List.of("a"), 1, new LeaseTable.Lease("L2", "w2/T#t", "other", 200, 1_200, 5_200)));

    assertEquals(List.of("a", "b"), table.take(List.of("a", "b"), 2, new LeaseTable.Lease("L1", "w1/T#t", "new", 300, 1_300, 5_300)));
    LeaseTable.Lease a = table.leases().get("a");
    assertEquals("new", a.holder());
    assertEquals(100, a.sinceMillis());
    assertEquals(1_300, a.renewedUntilMillis());
    assertEquals(5_000, a.maxUntilMillis());
    assertEquals(List.of(), table.releaseHolder("old"), "the old holder's leaving frees nothing now");
    assertEquals(List.of("a", "b"), table.release("L1"));
  }
}
