package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.hazelcast.RunDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import okhttp3.MediaType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;

/**
 * The rule of issue 22 on JVM-wide state, kept true by inspecting the library's classes (hazelcast-config,
 * ratelimit-core, junit-integration; not the examples nor the benchmarks): a static field holding mutable
 * state, final or not, remains only where the JVM truly has one of it, at most {@value #MAX_JVM_WIDE}, each
 * commented in its source. Every other static field is a constant: a primitive, a string, an enum, an
 * immutable value (a record or a final class of final immutable fields), a collection made by
 * {@code List.of}, {@code Set.of}, {@code Map.of}, {@code copyOf} or {@code Collections.unmodifiable*}, or one
 * of the few types listed below. The fields' types are read by reflection, without initialising the
 * classes (no OkHttp client nor file is made here); only where a collection comes from is read from the
 * sources.
 */
class StaticStateRulesTest {
  private static final int MAX_JVM_WIDE = 4;

  /** The JVM-wide mutable statics that stay: the JVM truly has one of each. */
  private static final Map<String, String> JVM_WIDE = Map.of(
      "io.ratelimit.core.internal.jvm.Jvm.THIS",
      "what the JVM has one of, by type: its limiter (the one coordinator of its clients, which test each of its threads runs, "
          + "whether PYTEST_DEBUG is on), the freeze detector, the exit watcher, the cleaner of leaked permits",
      "io.ratelimit.core.SharedOkHttp$Holder.JVM",
      "the JVM's OkHttp client, whose connection pool and dispatcher every rate-limited client shares (OkHttp: one per application)",
      "io.ratelimit.junit.internal.RateLimitSession.current",
      "the launcher session's state: it outlives one execute (Surefire's rerunFailingTestsCount calls it again in the same fork), "
          + "and JUnit before 5.13 has no store that lives as long as the launcher session",
      "io.ratelimit.hazelcast.RunDirectory.JVM_LOCKS",
      "the JVM's file locks: a process holds a file's lock once (the JDK throws on a second), so the JVM's threads queue here first");

  /** Types whose instances never change. */
  private static final Set<Class<?>> IMMUTABLE_TYPES = Set.of(String.class, Boolean.class, Character.class, Byte.class,
      Short.class, Integer.class, Long.class, Float.class, Double.class, BigDecimal.class, BigInteger.class, Class.class,
      Pattern.class, Duration.class, Instant.class, Path.class, UserPrincipal.class, VarHandle.class, MethodHandle.class,
      OptionalInt.class, OptionalLong.class, OptionalDouble.class, MediaType.class, ExtensionContext.Namespace.class,
      // PosixFilePermissions.asFileAttribute copies the permissions and hands out an unmodifiable view
      FileAttribute.class,
      // a sealed interface of records and an enum; a name and a codec of pure functions, all final
      io.ratelimit.core.PermitName.class, io.ratelimit.core.DocumentKind.class);

  /** Types whose instances could change but are used as constants here, with why. */
  private static final Map<Class<?>, String> CONSTANT_BY_USE = Map.of(
      Logger.class, "a logger is a name; what it logs is the back-end's business",
      ObjectMapper.class, "configured where it is made, then only read (Jackson: thread-safe once configured)",
      TypeReference.class, "a type token");

  private static final Pattern UNMODIFIABLE = Pattern.compile(
      "\\b(?:List|Set|Map)\\.(?:of|copyOf|ofEntries)\\(|\\bCollections\\.(?:unmodifiable|empty)\\w*\\(");

  private static final List<Path> SOURCES = List.of(Path.of("src/main/java"), Path.of("../ratelimit-core/src/main/java"),
      Path.of("../hazelcast-config/src/main/java"));
  private static final List<Class<?>> MODULES = List.of(RunDirectory.class, RateLimitedClients.class, RateLimitExtension.class);

  private final Map<String, String> sources = new HashMap<>();

  @Test
  void onlyTheJvmsOwnStateIsStatic() throws IOException {
    Map<String, String> mutable = mutableStatics();
    Map<String, String> offenders = new TreeMap<>(mutable);
    offenders.keySet().removeAll(JVM_WIDE.keySet());
    assertTrue(offenders.isEmpty(), () -> "mutable statics: hold the state in an instance (the JVM's limiter, the session, the "
        + "coordinator) or make it a constant; see docs/architecture.md, \"JVM-wide state\":\n  "
        + offenders.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("\n  ")));

    Set<String> stale = new TreeSet<>(JVM_WIDE.keySet());
    stale.removeAll(mutable.keySet());
    assertEquals(Set.of(), stale, "no longer mutable statics: take them off this test's lists");
  }

  @Test
  void atMostFourStayAndEachSaysWhy() {
    assertTrue(JVM_WIDE.size() <= MAX_JVM_WIDE, "at most " + MAX_JVM_WIDE + " JVM-wide statics: " + JVM_WIDE.keySet());
    List<String> uncommented = new ArrayList<>();
    for (String name : JVM_WIDE.keySet()) {
      String className = name.substring(0, name.lastIndexOf('.'));
      String field = name.substring(name.lastIndexOf('.') + 1);
      Matcher declaration = Pattern.compile("\\bstatic\\b[^;=(){}]*\\b" + Pattern.quote(field) + "\\s*[=;]").matcher(source(className));
      assertTrue(declaration.find(), "no declaration of " + name);
      String before = source(className).substring(0, declaration.start());
      int code = Math.max(before.lastIndexOf(';'), Math.max(before.lastIndexOf('{'), before.lastIndexOf('}')));
      String between = before.substring(code + 1);
      if (!between.contains("*/") && !between.contains("//")) {
        uncommented.add(name);
      }
    }
    assertEquals(List.of(), uncommented, "each JVM-wide static needs a comment saying why the JVM has one of it");
  }

  /** Every mutable static field of the library's main classes, by {@code class.field}, with why it is mutable. */
  private Map<String, String> mutableStatics() throws IOException {
    Map<String, String> found = new TreeMap<>();
    for (String className : libraryClasses()) {
      Class<?> type;
      try {
        type = Class.forName(className, false, getClass().getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new AssertionError(e);
      }
      for (Field field : type.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) && !field.isSynthetic()) {
          whyMutable(field).ifPresent(why -> found.put(type.getName() + "." + field.getName(), why));
        }
      }
    }
    return found;
  }

  private Optional<String> whyMutable(Field field) {
    if (!Modifier.isFinal(field.getModifiers())) {
      return Optional.of("not final");
    }
    if (Pattern.compile("\\b" + Pattern.quote(field.getName()) + "\\s*=\\s*(?:\\([^()]*\\)|\\w+)\\s*->")
        .matcher(source(field.getDeclaringClass().getName())).find()) {
      return Optional.empty(); // a lambda in a static initializer captures nothing but other statics, checked themselves
    }
    return whyMutable(field.getGenericType(), field.getDeclaringClass(), field.getName(), new HashSet<>());
  }

  /**
   * Why a value of {@code type} held in {@code holder}'s field or component {@code name} may change, if it may.
   * {@code seen}: the types being checked, taken as immutable where they come round again.
   */
  private Optional<String> whyMutable(Type type, Class<?> holder, String name, Set<Class<?>> seen) {
    Class<?> raw = raw(type);
    if (raw.isPrimitive() || IMMUTABLE_TYPES.contains(raw) || CONSTANT_BY_USE.containsKey(raw) || !seen.add(raw)) {
      return Optional.empty();
    }
    try {
      if (raw.isArray()) {
        return Optional.of("an array");
      }
      if (Collection.class.isAssignableFrom(raw) || Map.class.isAssignableFrom(raw)) {
        if (!raw.isInterface() || !unmodifiable(holder, name)) {
          return Optional.of("a " + raw.getSimpleName() + " not made by List.of, Set.of, Map.of, copyOf or Collections.unmodifiable*");
        }
        return typeArguments(type, holder, name, seen);
      }
      if (raw == Optional.class) {
        return typeArguments(type, holder, name, seen);
      }
      if (raw.isAnnotationPresent(FunctionalInterface.class) || raw.getPackageName().equals("java.util.function")) {
        return Optional.empty(); // a function: its code is in plain sight
      }
      if (raw.isRecord()) {
        for (RecordComponent component : raw.getRecordComponents()) {
          Optional<String> why = whyMutable(component.getGenericType(), raw, component.getName(), seen);
          if (why.isPresent()) {
            return Optional.of("a " + raw.getSimpleName() + " whose " + component.getName() + " is " + why.get());
          }
        }
        return Optional.empty();
      }
      if (raw.isEnum() || (raw.getName().startsWith("io.ratelimit.") && Modifier.isFinal(raw.getModifiers()))) {
        for (Class<?> c = raw; c != null && c != Object.class && c != Enum.class; c = c.getSuperclass()) {
          for (Field field : c.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) || field.isSynthetic()) {
              continue;
            }
            if (!Modifier.isFinal(field.getModifiers())) {
              return Optional.of("a " + raw.getSimpleName() + ", whose " + field.getName() + " is not final");
            }
            Optional<String> why = whyMutable(field.getGenericType(), c, field.getName(), seen);
            if (why.isPresent()) {
              return Optional.of("a " + raw.getSimpleName() + " whose " + field.getName() + " is " + why.get());
            }
          }
        }
        return Optional.empty();
      }
      return Optional.of("a " + raw.getName() + ", which may hold state");
    } finally {
      seen.remove(raw);
    }
  }

  private Optional<String> typeArguments(Type type, Class<?> holder, String name, Set<Class<?>> seen) {
    if (type instanceof ParameterizedType parameterized) {
      for (Type argument : parameterized.getActualTypeArguments()) {
        Optional<String> why = whyMutable(argument, holder, name + "'s elements", seen);
        if (why.isPresent()) {
          return why;
        }
      }
    }
    return Optional.empty();
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    if (type instanceof GenericArrayType a) {
      return java.lang.reflect.Array.newInstance(raw(a.getGenericComponentType()), 0).getClass();
    }
    if (type instanceof WildcardType w) {
      return raw(w.getUpperBounds()[0]);
    }
    return raw(((TypeVariable<?>) type).getBounds()[0]);
  }

  /**
   * Whether every value {@code holder}'s sources give {@code name} is made unmodifiable: its declaration's
   * initializer, or each assignment ({@code name = ...}, {@code this.name = ...}), e.g. in a record's
   * compact constructor. Read from the sources: reflection cannot tell {@code List.of} from a list.
   */
  private boolean unmodifiable(Class<?> holder, String name) {
    if (name.endsWith("'s elements")) {
      return true; // a collection in a collection: the outer one was checked
    }
    String source = source(holder.getName());
    String field = Pattern.quote(name);
    Pattern declared = Pattern.compile("\\bfinal\\b[^;=(){}]*\\b" + field + "\\s*=(?!=)([^;]*);");
    Pattern assigned = Pattern.compile("(?:^|[;{}])\\s*(?:this\\.)?" + field + "\\s*=(?!=)([^;]*);", Pattern.MULTILINE);
    boolean any = false;
    for (Pattern p : List.of(declared, assigned)) {
      Matcher m = p.matcher(source);
      while (m.find()) {
        String value = m.group(1).strip();
        if (value.startsWith("new ") || !UNMODIFIABLE.matcher(value).find()) {
          return false;
        }
        any = true;
      }
    }
    return any;
  }

  /** The text of the source file that declares {@code className} (a nested class's outermost class). */
  private String source(String className) {
    String outer = className.contains("$") ? className.substring(0, className.indexOf('$')) : className;
    return sources.computeIfAbsent(outer, o -> {
      String file = o.replace('.', '/') + ".java";
      for (Path root : SOURCES) {
        Path candidate = root.resolve(file);
        if (Files.isRegularFile(candidate)) {
          try {
            return Files.readString(candidate, StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
      throw new AssertionError("no source for " + o + " under " + SOURCES + " (run from junit-integration's folder, as Surefire does)");
    });
  }

  /** The names of every class in the three modules' main output (a folder in the reactor, else a jar). */
  private static List<String> libraryClasses() throws IOException {
    List<String> names = new ArrayList<>();
    for (Class<?> anchor : MODULES) {
      Path location;
      try {
        location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
      } catch (URISyntaxException e) {
        throw new AssertionError(e);
      }
      List<String> files;
      if (Files.isDirectory(location)) {
        try (Stream<Path> walk = Files.walk(location)) {
          files = walk.map(p -> location.relativize(p).toString().replace('\\', '/')).collect(Collectors.toList());
        }
      } else {
        try (JarFile jar = new JarFile(location.toFile())) {
          files = jar.stream().map(JarEntry::getName).collect(Collectors.toList());
        }
      }
      List<String> classes = files.stream()
          .filter(f -> f.endsWith(".class") && !f.startsWith("META-INF/") && !f.endsWith("module-info.class") && !f.endsWith("package-info.class"))
          .map(f -> f.substring(0, f.length() - ".class".length()).replace('/', '.'))
          .collect(Collectors.toList());
      assertTrue(classes.contains(anchor.getName()), "no " + anchor.getName() + " in " + location);
      names.addAll(classes);
    }
    return names;
  }
}
