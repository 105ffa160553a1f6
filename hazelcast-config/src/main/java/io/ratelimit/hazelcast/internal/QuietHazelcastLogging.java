package io.ratelimit.hazelcast.internal;

import com.hazelcast.logging.AbstractLogger;
import com.hazelcast.logging.ILogger;
import com.hazelcast.logging.LogEvent;
import com.hazelcast.logging.LoggerFactory;
import com.hazelcast.logging.Slf4jFactory;
import java.util.logging.Level;

/**
 * Hazelcast's logging for a test run: only warnings and errors, through SLF4J (only errors where it
 * reports members and connections coming and going), so a passing build prints none of the member's
 * start-up, join, migration and departure lines. Installed (by the system property
 * Hazelcast reads before its first log line) unless the user chose Hazelcast's logging themselves with
 * {@code -Dhazelcast.logging.type} or {@code -Dhazelcast.logging.class}: {@code
 * -Dhazelcast.logging.type=slf4j} shows everything again, at the levels of the user's SLF4J backend.
 */
public final class QuietHazelcastLogging implements LoggerFactory {
  static final String CLASS_PROPERTY = "hazelcast.logging.class";
  static final String TYPE_PROPERTY = "hazelcast.logging.type";

  /**
   * Where Hazelcast warns of members and connections coming and going: routine in a test run, whose forks
   * start and leave at their own pace, and handled by the limiter (which says so itself when it matters:
   * a worker that left holding permits, a lost cluster). Only their errors pass.
   */
  private static final java.util.List<String> CHURN = java.util.List.of("com.hazelcast.internal.server.",
      "com.hazelcast.internal.cluster.", "com.hazelcast.internal.partition.", "com.hazelcast.instance.impl.Node",
      "com.hazelcast.client.impl.connection.", "com.hazelcast.client.impl.spi.", "com.hazelcast.spi.impl.operationservice.");

  private final LoggerFactory slf4j = new Slf4jFactory();

  /** Routes Hazelcast's logging here, unless the user chose otherwise; call before Hazelcast starts. */
  public static synchronized void install() {
    if (System.getProperty(CLASS_PROPERTY) == null && System.getProperty(TYPE_PROPERTY) == null) {
      System.setProperty(CLASS_PROPERTY, QuietHazelcastLogging.class.getName());
    }
  }

  @Override
  public ILogger getLogger(String name) {
    boolean churn = CHURN.stream().anyMatch(name::startsWith);
    return new WarningsOnly(slf4j.getLogger(name), churn ? Level.SEVERE : Level.WARNING);
  }

  /** A logger that passes on warnings and errors only. */
  private static final class WarningsOnly extends AbstractLogger {
    private final ILogger delegate;
    private final Level threshold;

    WarningsOnly(ILogger delegate, Level threshold) {
      this.delegate = delegate;
      this.threshold = threshold;
    }

    @Override
    public void log(Level level, String message) {
      if (isLoggable(level)) {
        delegate.log(level, message);
      }
    }

    @Override
    public void log(Level level, String message, Throwable thrown) {
      if (isLoggable(level)) {
        delegate.log(level, message, thrown);
      }
    }

    @Override
    public void log(LogEvent logEvent) {
      if (isLoggable(logEvent.getLogRecord().getLevel())) {
        delegate.log(logEvent);
      }
    }

    @Override
    public Level getLevel() {
      Level level = delegate.getLevel();
      return level.intValue() < threshold.intValue() ? threshold : level;
    }

    @Override
    public boolean isLoggable(Level level) {
      return level.intValue() >= threshold.intValue() && delegate.isLoggable(level);
    }
  }
}
