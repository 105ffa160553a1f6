package io.ratelimit.junit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

/**
 * Which locks a node of JUnit's tree declares, read as JUnit reads them. {@code target} and
 * {@code providers} exist from JUnit 5.12 on; their fixture is compiled here, at run time, where they do,
 * so the module still builds against JUnit 5.10.
 */
class JUnitLocksTest {
  @TempDir
  Path dir;

  @ResourceLock("outer")
  @ResourceLock(value = Resources.LOCALE, mode = ResourceAccessMode.READ)
  static class Plain {
    @Test @ResourceLock(value = "account", mode = ResourceAccessMode.READ) void reads() { }
    @Test @ResourceLock(value = "account", mode = ResourceAccessMode.READ) @ResourceLock("account") void both() { }
    @Test @io.ratelimit.junit.ExclusiveResource("billing") void exclusive() { }

    @Nested
    @Isolated
    class Inner {
      @Test @ResourceLock("inner") void t() { }
    }
  }

  private static SortedMap<String, Boolean> map(Object... pairs) {
    SortedMap<String, Boolean> out = new TreeMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put((String) pairs[i], (Boolean) pairs[i + 1]);
    }
    return out;
  }

  @Test
  void ownLocksModesAndWhatStaysForkLocal() throws Exception {
    assertEquals(map(Resources.LOCALE, false, "outer", true), JUnitLocks.ofClass(List.of(), Plain.class));
    assertEquals(map("outer", true), RunWideLocks.ofClass(List.of(), Plain.class), "the locale stays JUnit's");
    assertEquals(map("account", false), JUnitLocks.ofMethod(List.of(), Plain.class, Plain.class.getDeclaredMethod("reads")));
    assertEquals(map("account", true), JUnitLocks.ofMethod(List.of(), Plain.class, Plain.class.getDeclaredMethod("both")), "alone wins");
    assertTrue(RunWideLocks.classHolds(List.of(), Plain.class));
    assertEquals(map("account", true, "billing", true, "inner", true, "outer", true), RunWideLocks.ofSubtree(List.of(), Plain.class),
        "a locking class holds its tests', its nested classes' and their @ExclusiveResource names too");
    assertTrue(JUnitLocks.isolated(Plain.Inner.class));
    assertTrue(RunWideLocks.classHolds(List.of(Plain.class), Plain.Inner.class), "an isolated class holds, with no lock of its own");
  }

  @Test
  void aNameThatIsNoResourceNameGetsALeaseOfItsOwn() {
    assertEquals("account", RunWideLocks.leaseName("account"));
    String odd = RunWideLocks.leaseName("my lock #1");
    assertTrue(odd.matches("junit-lock:[0-9a-f]{32}"), odd);
    assertEquals(odd, RunWideLocks.leaseName("my lock #1"));
  }

  @Test
  void childrenTargetsAndProvidersWhereJUnitHasThem() throws Exception {
    Assumptions.assumeTrue(exists("org.junit.jupiter.api.parallel.ResourceLocksProvider"), "JUnit 5.12+ only");
    String source = String.join("\n",
        "package fixture;",
        "import java.lang.reflect.Method;",
        "import java.util.List;",
        "import java.util.Set;",
        "import org.junit.jupiter.api.Nested;",
        "import org.junit.jupiter.api.Test;",
        "import org.junit.jupiter.api.parallel.*;",
        "@ResourceLock(value = \"kids\", target = ResourceLockTarget.CHILDREN)",
        "@ResourceLock(providers = Provided.Provider.class)",
        "public class Provided {",
        "  public static class Provider implements ResourceLocksProvider {",
        "    @Override public Set<Lock> provideForClass(Class<?> c) { return Set.of(new Lock(\"from-class\")); }",
        "    @Override public Set<Lock> provideForNestedClass(List<Class<?>> e, Class<?> c) {",
        "      return Set.of(new Lock(\"from-nested-\" + e.size(), ResourceAccessMode.READ)); }",
        "    @Override public Set<Lock> provideForMethod(List<Class<?>> e, Class<?> c, Method m) {",
        "      return Set.of(new Lock(\"from-method-\" + m.getName(), ResourceAccessMode.READ)); }",
        "  }",
        "  @Test void t() { }",
        "  @Nested class Inner { @Test void u() { } }",
        "}");
    Path src = Files.createDirectories(dir.resolve("src/fixture")).resolve("Provided.java");
    Files.writeString(src, source);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    String classPath = Stream.of(ResourceLock.class, Test.class, org.junit.platform.commons.annotation.Testable.class,
            org.apiguardian.api.API.class)
        .map(c -> c.getProtectionDomain().getCodeSource().getLocation().getPath()).distinct().collect(Collectors.joining(File.pathSeparator));
    assertEquals(0, javac.run(null, null, null, "-proc:none", "-cp", classPath, "-d", classes.toString(), src.toString()));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      Class<?> provided = loader.loadClass("fixture.Provided");
      Class<?> inner = loader.loadClass("fixture.Provided$Inner");
      Method t = provided.getDeclaredMethod("t");
      Method u = inner.getDeclaredMethod("u");
      assertEquals(map("from-class", true), JUnitLocks.ofClass(List.of(), provided), "CHILDREN is not the class's own");
      assertEquals(map("from-method-t", false, "kids", true), JUnitLocks.ofMethod(List.of(), provided, t));
      assertEquals(map("from-nested-1", false, "kids", true), JUnitLocks.ofClass(List.of(provided), inner),
          "a nested class gets its parent's CHILDREN locks and its enclosing classes' providers");
      assertEquals(map("from-method-u", false), JUnitLocks.ofMethod(List.of(provided), inner, u), "CHILDREN reaches one level");
      assertEquals(map("from-class", true, "from-method-t", false, "from-method-u", false, "from-nested-1", false, "kids", true),
          RunWideLocks.ofSubtree(List.of(), provided));
    }
  }

  private static boolean exists(String className) {
    try {
      Class.forName(className);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
