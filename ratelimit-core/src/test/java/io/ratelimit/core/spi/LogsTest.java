package io.ratelimit.core.spi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** PYTEST_DEBUG=true shows the library's DEBUG messages through a real SLF4J back-end (slf4j-simple, level info). */
class LogsTest {
  private final PrintStream stderr = System.err;

  @AfterEach
  void restore() {
    System.setErr(stderr);
    Logs.debug(false);
  }

  private static String logged(Runnable logging) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream previous = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8)); // slf4j-simple writes to the current System.err
    try {
      logging.run();
    } finally {
      System.setErr(previous);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void debugMessagesShowOnlyWithPytestDebug() {
    Logger log = Logs.get(LogsTest.class);
    assertFalse(logged(() -> log.debug("hidden {}", 1)).contains("hidden"));
    Logs.debug(true);
    assertTrue(log.isDebugEnabled());
    String out = logged(() -> log.debug("shown {} of {}", 1, 2, new IllegalStateException("why")));
    assertTrue(out.contains("shown 1 of 2") && out.contains("IllegalStateException: why"), out);
    assertTrue(logged(() -> log.warn("a warning")).contains("WARN"), "other levels pass through");
  }
}
