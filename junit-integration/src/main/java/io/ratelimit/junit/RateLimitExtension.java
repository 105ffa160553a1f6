package io.ratelimit.junit;

import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.junit.internal.JUnitSettings;
import io.ratelimit.junit.internal.RateLimitSession;
import io.ratelimit.junit.internal.TestTurn;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit Jupiter extension behind {@link RateLimitedApiTest}. Before each test it waits for the test's
 * turn (the run's mode, {@link RunAlone}, category caps); it resolves {@code OkHttpClient} (optionally
 * {@link Api @Api}-named), {@link RateLimitStats}, {@link WorkerInfo} and {@link TestPrefix} parameters.
 * Its state lives in one session per JVM, started on first use and ended with JUnit's launcher session,
 * when the last worker of the run writes the report.
 */
public final class RateLimitExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RateLimitExtension.class);
  private static final String TURN = "turn";
  private static final AtomicLong PREFIXES = new AtomicLong();
  private static final String RUN_TAG = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36), 36);

  private static RateLimitSession session(ExtensionContext context) {
    return RateLimitSession.get(JUnitSettings.source(context::getConfigurationParameter));
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    boolean alone = AnnotationSupport.isAnnotated(context.getElement(), RunAlone.class)
        || AnnotationSupport.isAnnotated(context.getRequiredTestClass(), RunAlone.class);
    TestTurn turn = TestTurn.start(session(context), context.getDisplayName(), context.getTags(), alone);
    context.getStore(NAMESPACE).put(TURN, turn); // closed by afterEach, or by JUnit with the store
  }

  @Override
  public void afterEach(ExtensionContext context) {
    TestTurn turn = context.getStore(NAMESPACE).remove(TURN, TestTurn.class);
    if (turn != null) {
      turn.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == OkHttpClient.class || type == RateLimitStats.class || type == WorkerInfo.class
        || (type == String.class && parameter.isAnnotated(TestPrefix.class));
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    RateLimitSession session = session(context);
    Class<?> type = parameter.getParameter().getType();
    if (type == OkHttpClient.class) {
      String api = parameter.findAnnotation(Api.class).map(Api::value).orElse(io.ratelimit.core.RateLimitConfig.DEFAULT_API);
      return session.client(api);
    }
    RateLimitCoordinator coordinator = session.coordinator();
    if (type == RateLimitStats.class) {
      return coordinator.statistics();
    }
    if (type == WorkerInfo.class) {
      return workerInfo(coordinator);
    }
    if (type == String.class) {
      return prefix(coordinator, context);
    }
    throw new ParameterResolutionException("ratelimit-testkit cannot resolve " + parameter.getParameter());
  }

  private static WorkerInfo workerInfo(RateLimitCoordinator coordinator) {
    String fork = System.getProperty("surefire.forkNumber", "");
    OptionalInt forkNumber = fork.matches("[0-9]{1,6}") ? OptionalInt.of(Integer.parseInt(fork)) : OptionalInt.empty();
    return new WorkerInfo(coordinator.workerId(), forkNumber, coordinator.clusterSize(), coordinator.coordination(), coordinator.runMode());
  }

  /** {@code w<fork>-<run tag>-<n>-<test>-}: the fork and a random tag tell workers apart, the counter invocations. */
  private static String prefix(RateLimitCoordinator coordinator, ExtensionContext context) {
    String worker = System.getProperty("surefire.forkNumber", Long.toString(ProcessHandle.current().pid()));
    String test = context.getTestMethod().map(java.lang.reflect.Method::getName)
        .orElse(context.getTestClass().map(Class::getSimpleName).orElse("test"));
    return "w" + worker.replaceAll("[^A-Za-z0-9]", "") + "-" + RUN_TAG + "-" + PREFIXES.incrementAndGet() + "-"
        + (test.length() > 40 ? test.substring(0, 40) : test) + "-";
  }
}
