package io.ratelimit.junit;

import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.junit.internal.ClassHold;
import io.ratelimit.junit.internal.ForkAttachments;
import io.ratelimit.junit.internal.JUnitLocks;
import io.ratelimit.junit.internal.JUnitSettings;
import io.ratelimit.junit.internal.RateLimitSession;
import io.ratelimit.junit.internal.RunWideLocks;
import io.ratelimit.junit.internal.TestLeases;
import io.ratelimit.junit.internal.TestLocks;
import io.ratelimit.junit.internal.TestTurn;
import io.ratelimit.junit.internal.ThrottledTests;
import io.ratelimit.core.ResourceLeases;
import io.ratelimit.settings.InvalidSettingsException;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.OptionalInt;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit Jupiter extension behind {@link RateLimitedApiTest}. Before each test it takes the leases the
 * test's {@link ExclusiveResource} and {@link PoolResources} annotations ask for, then waits for the test's
 * turn (the run's mode, {@link RunAlone}, category caps); after it, it ends both. It resolves
 * {@code OkHttpClient} (optionally {@link Api @Api}-named), {@link RateLimitStats}, {@link WorkerInfo},
 * {@link ResourceLeases}, {@link Leased @Leased} {@code List<String>} and {@link TestPrefix} parameters.
 * Its state lives in one session per JVM, started on first use and ended with JUnit's launcher session,
 * when the last worker of the run writes the report.
 *
 * <p>Every annotation of this package turns it on by itself (each is meta-annotated with
 * {@code @ExtendWith(RateLimitExtension.class)}, as JUnit's composed annotations are). It is also listed for
 * JUnit's extension auto-detection ({@code junit.jupiter.extensions.autodetection.enabled=true}), which
 * makes unannotated parameters such as a plain {@code OkHttpClient} work in any class; a test that asks for
 * nothing then starts nothing, and once its JVM is in the run it only takes its turn (so an {@code @Isolated}
 * or {@link RunAlone} test of another fork keeps it out).
 *
 * <p>Where it is active, JUnit's own {@code @ResourceLock}s and {@code @Isolated} hold across every worker
 * of the run, not only within one JVM: each lock is also taken as the run-wide lease of its name
 * ({@code READ} shared, {@code READ_WRITE} alone; the same lease as {@code @ExclusiveResource} of that name),
 * and an {@code @Isolated} class runs while no other test of the run does. As JUnit's own scheduler does, a
 * class that declares locks takes its own and all its tests' from its {@code @BeforeAll} to its end;
 * otherwise each test takes its own. JUnit's names of per-JVM state ({@code Resources.SYSTEM_PROPERTIES},
 * {@code SYSTEM_OUT}, {@code SYSTEM_ERR}, {@code LOCALE}, {@code TIME_ZONE}, {@code GLOBAL}) stay fork-local.
 *
 * <p>A test whose request the limiter gave up on (retries exhausted on 429/503, or no permit in time) ends
 * "throttled", with {@link io.ratelimit.core.RateLimitExhaustedException}, whatever its body made of the
 * response, unless it is marked {@link ExpectRateLimits}; the report gives each test its verdict.
 */
public final class RateLimitExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver,
    InvocationInterceptor, TestWatcher {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RateLimitExtension.class);
  private static final String TURN = "turn";
  private static final String LEASES = "leases";
  private static final String THREAD = "thread";
  private static final String HOLD = "class-hold";
  private static final String BYSTANDER = "bystander";

  /** Marks a class whose {@code beforeAll} this extension saw (its locks are then its hold's business). */
  private record Seen(Class<?> testClass) {}

  /** The classes whose {@code beforeAll} this extension saw, as the context's store remembers them. */
  private static java.util.function.Predicate<Class<?>> seen(ExtensionContext context) {
    return type -> context.getStore(NAMESPACE).get(new Seen(type)) != null;
  }

  /**
   * This JVM's session, started on first use. A bad setting is the user's configuration error, reported
   * as JUnit reports its own ({@link ExtensionConfigurationException}), with the message naming the
   * variable, the value and what is accepted.
   */
  private static RateLimitSession session(ExtensionContext context) {
    try {
      return RateLimitSession.get(JUnitSettings.source(context::getConfigurationParameter));
    } catch (InvalidSettingsException e) {
      throw new ExtensionConfigurationException(e.getMessage(), e);
    }
  }

  /**
   * Whether the test asked for the extension: its class (or an enclosing one) or method registers it
   * ({@link RateLimitedApiTest}, {@link ExclusiveResource}, {@link PoolResources}, {@link RunAlone},
   * {@code @ExtendWith}), or it takes a parameter the extension resolves. Registered by JUnit's
   * extension auto-detection, the extension leaves every other test alone (and starts nothing for it).
   */
  private static boolean wanted(ExtensionContext context) {
    for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
      if (c.get().getElement().filter(RateLimitExtension::registers).isPresent()) {
        return true;
      }
    }
    return context.getTestMethod().stream().flatMap(m -> Arrays.stream(m.getParameters()))
        .anyMatch(p -> supports(p.getType(), p::isAnnotationPresent));
  }

  private static boolean registers(AnnotatedElement element) {
    return AnnotationSupport.findRepeatableAnnotations(element, ExtendWith.class).stream()
        .anyMatch(e -> Arrays.asList(e.value()).contains(RateLimitExtension.class));
  }

  /**
   * A class that declares JUnit locks (or is {@code @Isolated}) takes, before its {@code @BeforeAll}
   * methods, the run-wide leases of its own and all its descendants' locks, then, if isolated, the turn
   * alone; both end when JUnit closes the class's store. A class inside a holding one takes nothing more
   * (an isolated one only its turn alone).
   */
  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    context.getStore(NAMESPACE).put(new Seen(testClass), Boolean.TRUE);
    List<Class<?>> enclosing = TestLocks.enclosing(context);
    if (!RunWideLocks.classHolds(enclosing, testClass)) {
      return;
    }
    ClassHold outer = context.getStore(NAMESPACE).get(HOLD, ClassHold.class); // an enclosing class's, if any
    boolean isolate = JUnitLocks.isolated(testClass) && (outer == null || !outer.alone());
    java.util.SortedMap<String, Boolean> locks = outer != null ? new TreeMap<>() : RunWideLocks.ofSubtree(enclosing, testClass);
    if (locks.isEmpty() && !isolate) {
      return; // fork-local locks only (JUnit's business alone), or the enclosing class's hold covers it
    }
    ClassHold hold = new ClassHold(session(context), owner(context), isolate || (outer != null && outer.alone()));
    context.getStore(NAMESPACE).put(HOLD, hold); // closed with the class's store, whatever happens next
    hold.take(locks, isolate);
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    ClassHold hold = context.getStore(NAMESPACE).get(HOLD, ClassHold.class); // the nearest enclosing class's
    java.util.SortedMap<String, Boolean> locks = hold != null ? new TreeMap<>() : TestLocks.ofTest(context, seen(context));
    boolean unseenIsolated = TestLocks.unseenIsolated(context, seen(context));
    if (!wanted(context) && hold == null && locks.isEmpty() && !unseenIsolated) {
      // it asked for nothing (JUnit's auto-detection) and starts nothing; but in a JVM already in the run it takes
      // its turn, so an @Isolated or @RunAlone test of another fork keeps it out, as JUnit does within one JVM
      Optional<RateLimitSession> running = RateLimitSession.current();
      if (running.isPresent()) {
        context.getStore(NAMESPACE).put(BYSTANDER, running.get().bystanderTurn(context.getDisplayName(), context.getTags()));
      }
      return;
    }
    // first the leases, then one of this JVM's PYTEST_WORKERS threads, then the turn: always in this order. Leases
    // first, as a class takes its own before any test does: a test waiting for a lease holds no thread that the
    // tests of a class holding that lease would need to finish (a cycle that only PYTEST_LEASE_WAIT would end)
    String test = owner(context);
    ForkAttachments.register(context, session(context)); // the report's path and this fork's figures, when the engine is done
    SortedMap<String, Map.Entry<Integer, String>> pools = new TreeMap<>();
    for (AnnotatedElement element : List.of(context.getRequiredTestClass(), context.getRequiredTestMethod())) {
      AnnotationSupport.findRepeatableAnnotations(element, PoolResources.class)
          .forEach(p -> pools.put(p.pool(), Map.entry(p.count(), p.items()))); // the method's wins over the class's
    }
    long leasesStart = System.nanoTime();
    try {
      testLeases(context).take(locks, pools);
    } finally {
      session(context).testWaited(test, 0, System.nanoTime() - leasesStart);
    }
    long start = System.nanoTime();
    context.getStore(NAMESPACE).put(THREAD, session(context).workerThread(context.getDisplayName()));
    long threadWait = System.nanoTime() - start;
    boolean alone = AnnotationSupport.isAnnotated(context.getElement(), RunAlone.class)
        || AnnotationSupport.isAnnotated(context.getRequiredTestClass(), RunAlone.class) || unseenIsolated;
    long turnStart = System.nanoTime();
    TestTurn turn = TestTurn.start(session(context), test, context.getDisplayName(), context.getTags(), alone,
        hold != null && hold.alone());
    session(context).testWaited(test, threadWait + System.nanoTime() - turnStart, 0);
    context.getStore(NAMESPACE).put(TURN, turn); // closed by afterEach, which JUnit runs even when this method failed
    // the requests this thread starts from now on are the test's, in the report, and their throttling is told to the test
    RateLimitedClients.testAttribution().enter(test, ThrottledTests.listener(context));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    AutoCloseable bystander = context.getStore(NAMESPACE).remove(BYSTANDER, AutoCloseable.class);
    if (bystander != null) {
      closeQuietly(bystander);
      return;
    }
    RateLimitedClients.testAttribution().exit();
    TestTurn turn = context.getStore(NAMESPACE).remove(TURN, TestTurn.class);
    TestLeases leases = context.getStore(NAMESPACE).remove(LEASES, TestLeases.class);
    try {
      if (turn != null) {
        turn.close();
        // beside the test in IDEs, build tools and Open Test Reporting (Surefire's XML carries no entries)
        context.publishReportEntry(session(context).reportEntry(owner(context)));
      }
    } finally {
      try {
        if (leases != null) {
          leases.close();
        }
      } finally {
        AutoCloseable thread = context.getStore(NAMESPACE).remove(THREAD, AutoCloseable.class);
        if (thread != null) {
          closeQuietly(thread);
        }
      }
    }
  }

  @Override
  public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<java.lang.reflect.Method> invocationContext,
      ExtensionContext context) throws Throwable {
    ThrottledTests.proceed(invocation, context);
  }

  @Override
  public void interceptTestTemplateMethod(Invocation<Void> invocation,
      ReflectiveInvocationContext<java.lang.reflect.Method> invocationContext, ExtensionContext context) throws Throwable {
    ThrottledTests.proceed(invocation, context);
  }

  @Override
  public void testSuccessful(ExtensionContext context) {
    ended(context, null, false);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    ended(context, cause, false);
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    ended(context, cause, true);
  }

  /** Counts how the test ended, for its verdict in the report (by unique id: a re-run ends the same one again). */
  private static void ended(ExtensionContext context, Throwable cause, boolean aborted) {
    if (wanted(context)) {
      RateLimitSession.current().ifPresent(s -> s.testEnded(owner(context), context.getUniqueId(), cause, aborted));
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The test's leases, ended by afterEach (or by JUnit closing the store), whatever the outcome. Get, then
   * put: the one store API that JUnit 5.10+ and 6.x share ({@code computeIfAbsent} is 6.x only, and 6.x
   * deprecates {@code getOrComputeIfAbsent}). A context's store is not shared between threads here: each
   * test's own, or a class's in its {@code @BeforeAll}.
   */
  private static TestLeases testLeases(ExtensionContext context) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    TestLeases leases = store.get(LEASES, TestLeases.class);
    if (leases == null) {
      leases = new TestLeases(session(context).coordinator(), owner(context));
      store.put(LEASES, leases);
    }
    return leases;
  }

  /** {@code Class#method}, or the class alone outside a test method. */
  private static String owner(ExtensionContext context) {
    String type = context.getTestClass().map(Class::getSimpleName).orElse("test");
    return context.getTestMethod().map(m -> type + "#" + m.getName()).orElse(type);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return supports(parameter.getParameter().getType(), parameter::isAnnotated);
  }

  private static boolean supports(Class<?> type, Predicate<Class<? extends Annotation>> annotated) {
    return type == OkHttpClient.class || type == RateLimitStats.class || type == WorkerInfo.class || type == ResourceLeases.class
        || (type == String.class && annotated.test(TestPrefix.class))
        || (type == List.class && annotated.test(Leased.class));
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    RateLimitSession session = session(context);
    Class<?> type = parameter.getParameter().getType();
    if (type == OkHttpClient.class) {
      String api = parameter.findAnnotation(Api.class).map(Api::value).orElse(io.ratelimit.core.RateLimitConfig.DEFAULT_API);
      return parameter.isAnnotated(ExpectRateLimits.class) ? RateLimitedClients.expectingRateLimits(session.client(api))
          : session.client(api);
    }
    RateLimitCoordinator coordinator = session.coordinator();
    if (type == RateLimitStats.class) {
      return coordinator.statistics();
    }
    if (type == WorkerInfo.class) {
      return workerInfo(coordinator);
    }
    if (type == String.class) {
      return prefix(session, context);
    }
    if (type == ResourceLeases.class) {
      return testLeases(context).injectable();
    }
    if (type == List.class) {
      String name = parameter.findAnnotation(Leased.class).orElseThrow().value();
      return testLeases(context).resources(name).orElseThrow(() -> new ParameterResolutionException("@Leased(\"" + name
          + "\"): this test holds nothing of that name; add @PoolResources(pool = \"" + name + "\") or @ExclusiveResource(\"" + name + "\")"));
    }
    throw new ParameterResolutionException("ratelimit-testkit cannot resolve " + parameter.getParameter());
  }

  private static WorkerInfo workerInfo(RateLimitCoordinator coordinator) {
    String fork = System.getProperty("surefire.forkNumber", "");
    OptionalInt forkNumber = fork.matches("[0-9]{1,6}") ? OptionalInt.of(Integer.parseInt(fork)) : OptionalInt.empty();
    return new WorkerInfo(coordinator.workerId(), forkNumber, coordinator.clusterSize(), coordinator.coordination(), coordinator.runMode());
  }

  /** The session's next {@code w<fork>-<run tag>-<n>-<test>-} for this test (see {@link RateLimitSession#testPrefix}). */
  private static String prefix(RateLimitSession session, ExtensionContext context) {
    String test = context.getTestMethod().map(java.lang.reflect.Method::getName)
        .orElse(context.getTestClass().map(Class::getSimpleName).orElse("test"));
    return session.testPrefix(test);
  }
}
