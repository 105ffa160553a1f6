package io.ratelimit.junit.internal;

import io.ratelimit.core.RateLimitExhaustedException;
import io.ratelimit.junit.ExpectRateLimits;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;

/**
 * Ends a test whose requests the limiter gave up on as "throttled", not as whatever its body made of the raw
 * last response: the limiter tells the test (through its {@link io.ratelimit.core.spi.TestAttribution}
 * listener, on whichever thread ran the call), and once the test method has run, the test ends with the first
 * {@link RateLimitExhaustedException} (the others and the body's own failure attached as suppressed), or is
 * aborted with it as the reason ({@code PYTEST_THROTTLED_TESTS=abort}). A test marked {@link ExpectRateLimits}
 * keeps its own outcome.
 */
public final class ThrottledTests {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ThrottledTests.class);
  private static final String HEARD = "heard";

  private ThrottledTests() {}

  /** What the limiter gave up on during one test execution. */
  private static final class Heard implements Consumer<RateLimitExhaustedException> {
    private final List<RateLimitExhaustedException> throttled = new CopyOnWriteArrayList<>();

    @Override
    public void accept(RateLimitExhaustedException e) {
      throttled.add(e);
    }
  }

  /** A new listener for the test execution of {@code context}, to give the test attribution as it enters the test. */
  public static Consumer<RateLimitExhaustedException> listener(ExtensionContext context) {
    Heard heard = new Heard();
    context.getStore(NAMESPACE).put(HEARD, heard);
    return heard;
  }

  /**
   * Runs the test method, then ends the test as throttled if the limiter gave up on one of its requests
   * (made in its method or in its {@code @BeforeEach} methods) and it does not expect rate limits.
   */
  public static void proceed(InvocationInterceptor.Invocation<Void> invocation, ExtensionContext context) throws Throwable {
    Throwable failure = null;
    try {
      invocation.proceed();
    } catch (Throwable t) { // NOPMD: the test's own outcome, kept as suppressed when it was throttled
      if (t instanceof VirtualMachineError) {
        throw t;
      }
      failure = t;
    }
    Heard heard = context.getStore(NAMESPACE).get(HEARD, Heard.class);
    if (heard == null || heard.throttled.isEmpty() || expectsRateLimits(context)) {
      if (failure != null) {
        throw failure;
      }
      return;
    }
    RateLimitExhaustedException first = heard.throttled.get(0);
    heard.throttled.stream().skip(1).forEach(first::addSuppressed);
    if (failure != null) {
      first.addSuppressed(failure); // the body's failure follows from the throttling: shown, not the verdict
    }
    if (RateLimitSession.current().map(RateLimitSession::throttled).orElse(JUnitSettings.Throttled.FAIL) == JUnitSettings.Throttled.ABORT) {
      throw new TestAbortedException(first.getMessage(), first);
    }
    throw first;
  }

  /** Whether the test, or a class around it, is marked {@link ExpectRateLimits}. */
  static boolean expectsRateLimits(ExtensionContext context) {
    for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
      if (c.get().getElement().filter(e -> AnnotationSupport.isAnnotated(e, ExpectRateLimits.class)).isPresent()) {
        return true;
      }
    }
    return false;
  }

  /** How a test execution ended, from what JUnit says it ended with (null: it passed). */
  static Verdict.Outcome outcome(Throwable cause, boolean aborted) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RateLimitExhaustedException) {
        return Verdict.Outcome.THROTTLED;
      }
    }
    if (cause == null) {
      return Verdict.Outcome.PASSED;
    }
    return aborted ? Verdict.Outcome.ABORTED : Verdict.Outcome.FAILED;
  }
}
