package io.ratelimit.hazelcast.internal;

import com.hazelcast.logging.AbstractLogger;
import com.hazelcast.logging.ILogger;
import com.hazelcast.logging.LogEvent;
import com.hazelcast.logging.LoggerFactory;
import com.hazelcast.logging.Slf4jFactory;
import java.util.logging.Level;

/**
 * Hazelcast's logging for a test run: only warnings and errors, through SLF4J, so a passing build
 * prints none of the member's start-up, join and migration lines. Installed (by the system property
 * Hazelcast reads before its first log line) unless the user chose Hazelcast's logging themselves with
 * {@code -Dhazelcast.logging.type} or {@code -Dhazelcast.logging.class}: {@code
 * -Dhazelcast.logging.type=slf4j} shows everything again, at the levels of the user's SLF4J backend.
 */
public final class QuietHazelcastLogging implements LoggerFactory {
  static final String CLASS_PROPERTY = "hazelcast.logging.class";
  static final String TYPE_PROPERTY = "hazelcast.logging.type";

  private final LoggerFactory slf4j = new Slf4jFactory();

  /** Routes Hazelcast's logging here, unless the user chose otherwise; call before Hazelcast starts. */
  public static synchronized void install() {
    if (System.getProperty(CLASS_PROPERTY) == null && System.getProperty(TYPE_PROPERTY) == null) {
      System.setProperty(CLASS_PROPERTY, QuietHazelcastLogging.class.getName());
    }
  }

  @Override
  public ILogger getLogger(String name) {
    return new WarningsOnly(slf4j.getLogger(name));
  }

  /** A logger that passes on warnings and errors only. */
  private static final class WarningsOnly extends AbstractLogger {
    private final ILogger delegate;

    WarningsOnly(ILogger delegate) {
      this.delegate = delegate;
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
      return level.intValue() < Level.WARNING.intValue() ? Level.WARNING : level;
    }

    @Override
    public boolean isLoggable(Level level) {
      return level.intValue() >= Level.WARNING.intValue() && delegate.isLoggable(level);
    }
  }
}
