package io.ratelimit.core.internal.jvm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What this JVM has exactly one of, by type, each made on first use: its limiter (the coordinator all its
 * clients share, which test each of its threads runs, whether {@code PYTEST_DEBUG} is on), the freeze
 * detector's ticking thread, the exit watcher (it must see every coordinator of the JVM at once to know
 * when the program is done), the cleaner that frees the permits of bodies never closed, and the numbering
 * of this process's participants in run directories. One static holds them all, so everything JVM-wide is
 * found here, and nothing else in this module keeps state in a static field (see
 * {@code StaticStateRulesTest}).
 */
public final class Jvm {
  /** The JVM's one: the library's JVM-wide state for its limiter (see docs/architecture.md, "JVM-wide state"). */
  private static final Jvm THIS = new Jvm();

  private final Map<Class<?>, Object> ones = new ConcurrentHashMap<>();

  private Jvm() {}

  /**
   * This JVM's one {@code type}, made by {@code make} on first use (once, whatever the threads asking).
   * {@code make} must not ask for another one itself.
   */
  public static <T> T one(Class<T> type, Supplier<T> make) {
    return type.cast(THIS.ones.computeIfAbsent(type, t -> make.get()));
  }
}
