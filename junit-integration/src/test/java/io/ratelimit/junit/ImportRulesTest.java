package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of issue 22, kept true by reading the sources: {@code junit-integration} uses the
 * core's public API and its {@code spi} package, never {@code io.ratelimit.core.internal}, so the core's
 * insides can change without breaking the integration.
 */
class ImportRulesTest {
  private static final Path MAIN = Path.of("src/main/java");

  @Test
  void theIntegrationUsesNoneOfTheCoresInternals() throws IOException {
    assertTrue(Files.isDirectory(MAIN), "run from the module's folder, as Surefire does: " + MAIN.toAbsolutePath());
    List<String> offenders;
    try (Stream<Path> files = Files.walk(MAIN)) {
      offenders = files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
        try {
          return Files.readAllLines(f).stream().filter(l -> l.contains("io.ratelimit.core.internal")).map(l -> MAIN.relativize(f) + ": " + l.trim());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).collect(Collectors.toList());
    }
    assertEquals(List.of(), offenders, "junit-integration must use io.ratelimit.core's public API or io.ratelimit.core.spi");
  }
}
