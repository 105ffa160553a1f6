package io.ratelimit.core.spi;

import io.ratelimit.core.RateLimitExhaustedException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * Which test a call belongs to, for the report's per-test figures: the test running on the thread that
 * created the call ({@code client.newCall}), remembered with the call so that an {@code enqueue}d call
 * run on OkHttp's threads is still the test's; else the test running on the thread the interceptor runs on.
 * A JUnit integration marks a test's thread with {@link #enter}/{@link #exit}. Calls are held weakly.
 *
 * <p>It also carries the limiter's word that a call was throttled ({@link #throttled}) to the test that
 * made it, through the listener the integration gave {@link #enter(String, Consumer)}: the client returns the
 * last response as always, and the integration decides what the test's verdict is.
 *
 * <p>The JVM's one is {@link io.ratelimit.core.RateLimitedClients#testAttribution()}: its threads are the
 * JVM's, so every coordinator of the JVM reads the same one.
 */
public final class TestAttribution {
  private static final Consumer<RateLimitExhaustedException> NOBODY = e -> { };

  /** One test's run on a thread: its name in the report, and who hears of its throttled calls. */
  private record Running(String test, Consumer<? super RateLimitExhaustedException> throttled) {}

  private final ThreadLocal<Running> current = new ThreadLocal<>();
  private final Map<Call, Running> calls = Collections.synchronizedMap(new WeakHashMap<>());
  /** Set once a test integration marks a thread: until then (plain use of the library) nothing is looked up. */
  private volatile boolean used;

  /** An attribution that knows no test yet; the library uses the JVM's one (see above). */
  public TestAttribution() {}

  /** From now on, calls made on this thread belong to {@code test}; their throttling is told to nobody. */
  public void enter(String test) {
    enter(test, NOBODY);
  }

  /**
   * From now on, calls made on this thread belong to {@code test}, and {@code onThrottled} hears of each of
   * them the limiter gave up on (on the thread the call ran on).
   */
  public void enter(String test, Consumer<? super RateLimitExhaustedException> onThrottled) {
    used = true;
    current.set(new Running(test, onThrottled));
  }

  /** This thread runs no test any more. */
  public void exit() {
    current.remove();
  }

  /** The test a call belongs to, if any. */
  public Optional<String> of(Call call) {
    return running(call).map(Running::test);
  }

  /** Tells the test a call belongs to, if any, that the limiter gave up on the call. */
  public void throttled(Call call, RateLimitExhaustedException exhausted) {
    running(call).ifPresent(r -> r.throttled().accept(exhausted));
  }

  private Optional<Running> running(Call call) {
    if (!used) {
      return Optional.empty();
    }
    Running test = calls.get(call);
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
      Running test = attribution.used ? attribution.current.get() : null;
      if (test != null) {
        attribution.calls.put(call, test);
      }
      return delegate.create(call);
    }
  }
}
