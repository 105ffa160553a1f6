package io.ratelimit.junit.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The run-wide locks of one test where no class above it holds them ({@link RunWideLocks} reads them from the
 * annotations): the test classes around it, and which of them the extension saw begin (a class whose
 * {@code beforeAll} it saw took its own locks then; one registered on a method only did not).
 */
public final class TestLocks {
  private TestLocks() {}

  /** The test classes enclosing the context's own (a {@code @Nested} one's), outermost first. */
  public static List<Class<?>> enclosing(ExtensionContext context) {
    List<Class<?>> classes = classes(context);
    return classes.subList(0, classes.size() - 1);
  }

  /** The test classes from the outermost to the context's own. */
  static List<Class<?>> classes(ExtensionContext context) {
    List<Class<?>> classes = new ArrayList<>();
    for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
      c.get().getElement().filter(Class.class::isInstance).map(Class.class::cast)
          .filter(type -> classes.isEmpty() || classes.get(classes.size() - 1) != type) // a class template and its invocation
          .ifPresent(classes::add);
    }
    Collections.reverse(classes);
    return classes;
  }

  /**
   * The locks a test takes itself: its JUnit locks, those of the classes above it that were not {@code seen}
   * to begin, and its {@code @ExclusiveResource}s; lock name to whether it is held alone.
   */
  public static SortedMap<String, Boolean> ofTest(ExtensionContext context, Predicate<Class<?>> seen) {
    SortedMap<String, Boolean> locks = new TreeMap<>();
    List<Class<?>> classes = classes(context);
    for (int i = 0; i < classes.size(); i++) {
      if (!seen.test(classes.get(i))) {
        RunWideLocks.ofClass(classes.subList(0, i), classes.get(i)).forEach((name, alone) -> locks.merge(name, alone, Boolean::logicalOr));
      }
    }
    RunWideLocks.ofMethod(classes.subList(0, classes.size() - 1), context.getRequiredTestClass(), context.getRequiredTestMethod())
        .forEach((name, alone) -> locks.merge(name, alone, Boolean::logicalOr));
    RunWideLocks.exclusiveResources(context.getRequiredTestClass(), locks);
    RunWideLocks.exclusiveResources(context.getRequiredTestMethod(), locks);
    return locks;
  }

  /** Whether an {@code @Isolated} class above the test was not {@code seen} to begin: the test then runs alone. */
  public static boolean unseenIsolated(ExtensionContext context, Predicate<Class<?>> seen) {
    return classes(context).stream().anyMatch(c -> JUnitLocks.isolated(c) && !seen.test(c));
  }
}
