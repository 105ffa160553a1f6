package io.ratelimit.junit.internal;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * The {@code @ResourceLock}s of one node of JUnit's test tree, read as JUnit's own engine reads them: its
 * own ({@code target = SELF}), its parent's {@code target = CHILDREN} ones, and what the providers declared
 * on it and on its enclosing classes give for it. {@code target}, {@code providers} and
 * {@code ResourceLocksProvider} are newer than JUnit 5.10, so they are reached by reflection and are simply
 * absent there. Name to whether the node needs it alone ({@code READ_WRITE}); a name asked for both ways
 * is needed alone.
 */
public final class JUnitLocks {
  private static final String CHILDREN = "CHILDREN";

  private JUnitLocks() {}

  /**
   * A test class's node.
   *
   * @param enclosing the classes enclosing a {@code @Nested} class, outermost first; empty for a top-level one
   */
  public static SortedMap<String, Boolean> ofClass(List<Class<?>> enclosing, Class<?> testClass) {
    SortedMap<String, Boolean> locks = new TreeMap<>();
    String provide = enclosing.isEmpty() ? "provideForClass" : "provideForNestedClass";
    Object[] arguments = enclosing.isEmpty() ? new Object[] {testClass} : new Object[] {List.copyOf(enclosing), testClass};
    statics(testClass, false, locks);
    if (!enclosing.isEmpty()) {
      statics(enclosing.get(enclosing.size() - 1), true, locks);
    }
    List<Class<?>> declaring = new ArrayList<>(enclosing);
    declaring.add(testClass);
    for (Class<?> type : declaring) {
      provided(AnnotationSupport.findRepeatableAnnotations(type, ResourceLock.class), provide, arguments, locks);
    }
    return locks;
  }

  /** A test method's node (one of {@code testClass}, itself enclosed by {@code enclosing}, outermost first). */
  public static SortedMap<String, Boolean> ofMethod(List<Class<?>> enclosing, Class<?> testClass, Method method) {
    SortedMap<String, Boolean> locks = new TreeMap<>();
    Object[] arguments = {List.copyOf(enclosing), testClass, method};
    List<ResourceLock> own = AnnotationSupport.findRepeatableAnnotations(method, ResourceLock.class);
    own.stream().filter(l -> !isChildren(l)).forEach(l -> add(locks, l.value(), l.mode()));
    statics(testClass, true, locks);
    provided(own, "provideForMethod", arguments, locks);
    List<Class<?>> declaring = new ArrayList<>(enclosing);
    declaring.add(testClass);
    for (Class<?> type : declaring) {
      provided(AnnotationSupport.findRepeatableAnnotations(type, ResourceLock.class), "provideForMethod", arguments, locks);
    }
    return locks;
  }

  /** Whether JUnit runs the class isolated from every other test ({@code @Isolated}). */
  public static boolean isolated(Class<?> testClass) {
    return AnnotationSupport.isAnnotated(testClass, Isolated.class);
  }

  /** Adds {@code name}, needed alone for {@code READ_WRITE}; alone wins over shared. */
  static void add(SortedMap<String, Boolean> locks, String name, ResourceAccessMode mode) {
    if (name != null && !name.isBlank()) {
      locks.merge(name, mode == ResourceAccessMode.READ_WRITE, Boolean::logicalOr);
    }
  }

  /** The class's own static locks ({@code SELF}), or those it declares for its children. */
  private static void statics(Class<?> type, boolean forChildren, SortedMap<String, Boolean> locks) {
    AnnotationSupport.findRepeatableAnnotations(type, ResourceLock.class).stream().filter(l -> isChildren(l) == forChildren)
        .forEach(l -> add(locks, l.value(), l.mode()));
  }

  /** Whether the lock targets the children of what it annotates (JUnit 5.12+; before, every lock is its element's own). */
  private static boolean isChildren(ResourceLock lock) {
    Object target = attribute(lock, "target");
    return target != null && CHILDREN.equals(target.toString());
  }

  /** Asks the providers of {@code annotations} for the node's locks ({@code provide} is the node's method of the provider). */
  private static void provided(Collection<ResourceLock> annotations, String provide, Object[] arguments, SortedMap<String, Boolean> locks) {
    for (ResourceLock annotation : annotations) {
      Object providers = attribute(annotation, "providers");
      if (!(providers instanceof Class<?>[] types)) {
        continue;
      }
      for (Class<?> type : types) {
        Object provider = ReflectionSupport.newInstance(type);
        Object given = invoke(provider, find(type, provide, arguments.length), arguments);
        if (given instanceof Collection<?> provided) {
          for (Object lock : provided) {
            Object name = invoke(lock, find(lock.getClass(), "getKey", 0));
            Object mode = invoke(lock, find(lock.getClass(), "getAccessMode", 0));
            add(locks, String.valueOf(name), mode instanceof ResourceAccessMode m ? m : ResourceAccessMode.READ_WRITE);
          }
        }
      }
    }
  }

  private static Object attribute(ResourceLock lock, String name) {
    try {
      return ResourceLock.class.getMethod(name).invoke(lock);
    } catch (NoSuchMethodException older) {
      return null; // JUnit 5.10/5.11: no such attribute
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read @ResourceLock." + name + ": " + e, e);
    }
  }

  private static Method find(Class<?> type, String name, int parameters) {
    for (Method method : type.getMethods()) {
      if (method.getName().equals(name) && method.getParameterCount() == parameters) {
        return method;
      }
    }
    throw new IllegalStateException(type.getName() + " has no public " + name + " with " + parameters + " parameter(s)");
  }

  private static Object invoke(Object target, Method method, Object... arguments) {
    try {
      method.setAccessible(true); // a provider may be a non-public nested class, as JUnit allows
      return method.invoke(target, arguments);
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException("ratelimit-testkit: could not ask " + target.getClass().getName() + "." + method.getName()
          + " for its resource locks: " + cause, cause);
    }
  }
}
