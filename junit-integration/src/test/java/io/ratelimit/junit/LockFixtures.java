package io.ratelimit.junit;

import java.io.IOException;
import java.io.UncheckedIOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

/**
 * Tests that use nothing but JUnit's own locks, run by {@link ForkedSuite} in several forks against a
 * {@link LockRecorder}: the extension reaches them through JUnit's auto-detection only. Each test's locked
 * stretch is one enter, some work and one exit, sent with a plain client (not limited), so only the
 * locks keep the stretches apart.
 */
final class LockFixtures {
  private static final OkHttpClient PLAIN = new OkHttpClient();

  private LockFixtures() {}

  static void inside(String kind, TestInfo test) {
    String who = System.getenv("PYTEST_WORKER_ID") + ":" + test.getTestClass().orElseThrow().getSimpleName() + "."
        + test.getTestMethod().orElseThrow().getName();
    call("enter?kind=" + kind + "&who=" + who);
    call(kind.equals("hanger") ? "hang" : "work");
    call("exit?kind=" + kind + "&who=" + who);
  }

  private static void call(String path) {
    try (Response r = PLAIN.newCall(new Request.Builder().url(ForkedSuite.url + path).build()).execute()) {
      r.body().string();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The account written: the class holds it for all its tests, as JUnit's own scheduler does. */
  @ResourceLock("account")
  @ResourceLock(Resources.SYSTEM_PROPERTIES) // JVM-local: stays JUnit's
  public static class Writers {
    @Test void w1(TestInfo t) { inside("writer", t); }
    @Test void w2(TestInfo t) { inside("writer", t); }
    @Test void w3(TestInfo t) { inside("writer", t); }
  }

  /** The library's own lease of the same name: one name space with JUnit's locks. */
  public static class ExclusiveWriter {
    @Test @ExclusiveResource("account") void e1(TestInfo t) { inside("writer", t); }
  }

  /** The account read: each test holds it shared, around itself. */
  public static class Readers {
    @Test @ResourceLock(value = "account", mode = ResourceAccessMode.READ) void r1(TestInfo t) { inside("reader", t); }
    @Test @ResourceLock(value = "account", mode = ResourceAccessMode.READ) void r2(TestInfo t) { inside("reader", t); }
    @Test @ResourceLock(value = "account", mode = ResourceAccessMode.READ) void r3(TestInfo t) { inside("reader", t); }
  }

  /** Alone in the whole run while it runs. */
  @Isolated
  public static class Alone {
    @Test void i1(TestInfo t) { inside("isolated", t); }
    @Test void i2(TestInfo t) { inside("isolated", t); }
  }

  /** Tests with no lock, on the extension by its annotation: they run beside anything but an isolated test. */
  @RateLimitedApiTest
  public static class Others {
    @Test void o1(TestInfo t) { inside("other", t); }
    @Test void o2(TestInfo t) { inside("other", t); }
    @Test void o3(TestInfo t) { inside("other", t); }
  }

  /** Holds the account in a request that never ends (until its fork is killed). */
  public static class HangingWriter {
    @Test @ResourceLock("account") void hangs(TestInfo t) { inside("hanger", t); }
  }

  /** Needs the account a killed fork held. */
  public static class LateWriter {
    @Test @ResourceLock("account") void writes(TestInfo t) { inside("writer", t); }
  }
}
