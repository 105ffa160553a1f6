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
 *
 * <p>The JVM's one is {@link io.ratelimit.core.RateLimitedClients#testAttribution()}: its threads are the
 * JVM's, so every coordinator of the JVM reads the same one.
 */
public final class TestAttribution {
  private final ThreadLocal<String> current = new ThreadLocal<>();
  private final Map<Call, String> calls = Collections.synchronizedMap(new WeakHashMap<>());
  /** Set once a test integration marks a thread: until then (plain use of the library) nothing is looked up. */
  private volatile boolean used;

  /** An attribution that knows no test yet; the library uses the JVM's one (see above). */
  public TestAttribution() {}

  /** From now on, calls made on this thread belong to {@code test}. */
  public void enter(String test) {
    used = true;
    current.set(test);
  }

  /** This thread runs no test any more. */
  public void exit() {
    current.remove();
  }

  /** The test a call belongs to, if any. */
  public Optional<String> of(Call call) {
    if (!used) {
      return Optional.empty();
    }
    String test = calls.get(call);
    return Optional.ofNullable(test != null ? test : current.get());
  }

  /** {@code delegate}, remembering each new call's test first (on the thread that creates the call). */
  public EventListener.Factory remembering(EventListener.Factory delegate) {
    if (delegate instanceof Remembering remembering && remembering.attribution() == this) {
      return delegate; // wrapped twice: once is enough
    }
    return new Remembering(this, delegate);
  }

  private record Remembering(TestAttribution attribution, EventListener.Factory delegate) implements EventListener.Factory {
    @Override
    public EventListener create(Call call) {
      String test = attribution.used ? attribution.current.get() : null;
      if (test != null) {
        attribution.calls.put(call, test);
      }
      return delegate.create(call);
    }
  }
}
