package io.ratelimit.core.spi;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * Which test a call belongs to, for the report's per-test figures: the test running on the thread that
 * created the call ({@code client.newCall}), remembered with the call so that an {@code enqueue}d call
 * run on OkHttp's threads is still the test's; else the test running on the thread the interceptor runs on.
 * A JUnit integration marks a test's thread with {@link #enter}/{@link #exit}. Calls are held weakly.
 */
public final class TestAttribution {
  private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();
  private static final Map<Call, String> CALLS = Collections.synchronizedMap(new WeakHashMap<>());
  /** Set once a test integration marks a thread: until then (plain use of the library) nothing is looked up. */
  private static volatile boolean used;

  private TestAttribution() {}

  /** From now on, calls made on this thread belong to {@code test}. */
  public static void enter(String test) {
    used = true;
    CURRENT.set(test);
  }

  /** This thread runs no test any more. */
  public static void exit() {
    CURRENT.remove();
  }

  /** The test a call belongs to, if any. */
  public static Optional<String> of(Call call) {
    if (!used) {
      return Optional.empty();
    }
    String test = CALLS.get(call);
    return Optional.ofNullable(test != null ? test : CURRENT.get());
  }

  /** {@code delegate}, remembering each new call's test first (on the thread that creates the call). */
  public static EventListener.Factory remembering(EventListener.Factory delegate) {
    if (delegate instanceof Remembering) {
      return delegate; // wrapped twice: once is enough
    }
    return new Remembering(delegate);
  }

  private record Remembering(EventListener.Factory delegate) implements EventListener.Factory {
    @Override
    public EventListener create(Call call) {
      String test = used ? CURRENT.get() : null;
      if (test != null) {
        CALLS.put(call, test);
      }
      return delegate.create(call);
    }
  }
}
