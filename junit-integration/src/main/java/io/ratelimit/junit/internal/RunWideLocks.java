package io.ratelimit.junit.internal;

import io.ratelimit.junit.ExclusiveResource;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.parallel.Resources;
import org.junit.platform.commons.annotation.Testable;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * Which run-wide leases JUnit's locks of a node stand for. JUnit's names of this JVM's own state (system
 * properties, {@code System.out}/{@code err}, the default locale and time zone, and the global key behind
 * {@code @Isolated}) stay with JUnit, fork-local; every other name is the lease of that name, the same one
 * {@code @ExclusiveResource} takes. As JUnit's own tree walker does, a class that declares locks holds its
 * own and all its descendants' (its methods', its nested classes') for its whole life; otherwise each test
 * takes its own. Maps are ordered by name: every fork takes them in that one order.
 */
public final class RunWideLocks {
  /**
   * JUnit's names of per-JVM state, compared by value (the constants are inlined at compile time anyway);
   * {@code GLOBAL} is {@code org.junit.platform.engine.support.hierarchical.ExclusiveResource.GLOBAL_KEY}.
   */
  private static final Set<String> FORK_LOCAL = Set.of(Resources.SYSTEM_PROPERTIES, Resources.SYSTEM_OUT, Resources.SYSTEM_ERR,
      Resources.LOCALE, Resources.TIME_ZONE, Resources.GLOBAL);
  private static final Pattern LEASE_NAME = Pattern.compile("[A-Za-z0-9._:@/-]{1,128}");

  private RunWideLocks() {}

  /**
   * Whether the class's node takes its subtree's locks for its whole life: it declares locks of its own
   * (fork-local ones count, as for JUnit) or is {@code @Isolated}.
   */
  public static boolean classHolds(List<Class<?>> enclosing, Class<?> testClass) {
    return JUnitLocks.isolated(testClass) || !JUnitLocks.ofClass(enclosing, testClass).isEmpty();
  }

  /**
   * The run-wide locks of a holding class and everything below it, {@code @ExclusiveResource} names
   * included (they are taken with the class too, so no test of it takes a lease out of order).
   */
  public static SortedMap<String, Boolean> ofSubtree(List<Class<?>> enclosing, Class<?> testClass) {
    SortedMap<String, Boolean> all = new TreeMap<>(JUnitLocks.ofClass(enclosing, testClass));
    exclusiveResources(testClass, all);
    List<Class<?>> inside = new ArrayList<>(enclosing);
    inside.add(testClass);
    for (Method method : AnnotationSupport.findAnnotatedMethods(testClass, Testable.class, HierarchyTraversalMode.TOP_DOWN)) {
      JUnitLocks.ofMethod(enclosing, testClass, method).forEach((name, alone) -> all.merge(name, alone, Boolean::logicalOr));
      exclusiveResources(method, all);
    }
    for (Class<?> nested : ReflectionSupport.findNestedClasses(testClass,
        c -> !Modifier.isStatic(c.getModifiers()) && AnnotationSupport.isAnnotated(c, Nested.class))) {
      ofSubtree(inside, nested).forEach((name, alone) -> all.merge(name, alone, Boolean::logicalOr));
    }
    return runWide(all);
  }

  /** The run-wide locks of one class node (its own, for a test whose class was not seen before it). */
  public static SortedMap<String, Boolean> ofClass(List<Class<?>> enclosing, Class<?> testClass) {
    return runWide(JUnitLocks.ofClass(enclosing, testClass));
  }

  /** The run-wide locks of one test method's node. */
  public static SortedMap<String, Boolean> ofMethod(List<Class<?>> enclosing, Class<?> testClass, Method method) {
    return runWide(JUnitLocks.ofMethod(enclosing, testClass, method));
  }

  /** Adds the element's {@code @ExclusiveResource} names, needed alone. */
  public static void exclusiveResources(AnnotatedElement element, SortedMap<String, Boolean> locks) {
    AnnotationSupport.findRepeatableAnnotations(element, ExclusiveResource.class).forEach(r -> locks.put(r.value(), true));
  }

  private static SortedMap<String, Boolean> runWide(Map<String, Boolean> locks) {
    SortedMap<String, Boolean> out = new TreeMap<>(locks);
    out.keySet().removeAll(FORK_LOCAL);
    return out;
  }

  /**
   * The lease a JUnit lock name stands for: the name itself when it is a valid resource name (so it is the
   * same lease as {@code @ExclusiveResource} of that name), else {@code junit-lock:} and a digest of it.
   */
  public static String leaseName(String lock) {
    if (LEASE_NAME.matcher(lock).matches()) {
      return lock;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(lock.getBytes(StandardCharsets.UTF_8));
      return "junit-lock:" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
