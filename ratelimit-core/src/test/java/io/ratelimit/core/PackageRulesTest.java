package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rules of issue 22, kept true by reading the sources: the internal packages depend on each other
 * in one direction only (no cycle: {@code lifecycle} on the backends, the backends on the root
 * {@code internal}, never back up; an internal package using the module's public types is fine, as in
 * OkHttp), and no main file grows past 450 lines but the header parser.
 */
class PackageRulesTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final String INTERNAL = "io.ratelimit.core.internal";
  private static final int MOST_LINES = 450;
  /** The header parser: one table of dialects, read top to bottom (see docs/architecture.md). */
  private static final Set<String> LONG_BY_NATURE = Set.of("RateLimitHeaders.java");
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.ratelimit\\.core\\.internal(?:\\.[a-z]\\w*)*)\\.[A-Z]");

  @Test
  void theInternalPackagesHaveNoCycle() throws IOException {
    Map<String, Set<String>> uses = internalDependencies();
    List<String> cycles = new ArrayList<>();
    for (String from : uses.keySet()) {
      for (String to : uses.get(from)) {
        if (reaches(uses, to, from)) {
          cycles.add(from + " -> " + to + " -> ... -> " + from);
        }
      }
    }
    assertEquals(List.of(), cycles, "internal packages in a cycle; their uses: " + uses);
  }

  @Test
  void noMainFileIsLongerThan450Lines() throws IOException {
    List<String> tooLong = new ArrayList<>();
    for (Path file : javaFiles()) {
      long lines = Files.readAllLines(file).size();
      if (lines > MOST_LINES && !LONG_BY_NATURE.contains(file.getFileName().toString())) {
        tooLong.add(MAIN.relativize(file) + ": " + lines);
      }
    }
    assertEquals(List.of(), tooLong, "split by concern: at most " + MOST_LINES + " lines a file");
  }

  /** Which internal packages each internal package refers to (imports and fully qualified names alike). */
  private static Map<String, Set<String>> internalDependencies() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    for (Path file : javaFiles()) {
      String source = Files.readString(file);
      Matcher declared = PACKAGE.matcher(source);
      if (!declared.find() || !declared.group(1).startsWith(INTERNAL)) {
        continue;
      }
      String from = declared.group(1);
      Set<String> to = uses.computeIfAbsent(from, p -> new TreeSet<>());
      Matcher reference = REFERENCE.matcher(source);
      while (reference.find()) {
        if (!reference.group(1).equals(from)) {
          to.add(reference.group(1));
        }
      }
    }
    return uses;
  }

  private static boolean reaches(Map<String, Set<String>> uses, String from, String target) {
    Deque<String> next = new ArrayDeque<>(List.of(from));
    Set<String> seen = new TreeSet<>();
    while (!next.isEmpty()) {
      String at = next.pop();
      if (at.equals(target)) {
        return true;
      }
      if (seen.add(at)) {
        next.addAll(uses.getOrDefault(at, Set.of()));
      }
    }
    return false;
  }

  private static List<Path> javaFiles() throws IOException {
    assertTrue(Files.isDirectory(MAIN), "run from the module's folder, as Surefire does: " + MAIN.toAbsolutePath());
    try (Stream<Path> files = Files.walk(MAIN)) {
      return files.filter(f -> f.toString().endsWith(".java")).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
