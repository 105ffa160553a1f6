package io.ratelimit.hazelcast.internal;

import com.hazelcast.logging.AbstractLogger;
import com.hazelcast.logging.ILogger;
import com.hazelcast.logging.LogEvent;
import com.hazelcast.logging.LoggerFactory;
import com.hazelcast.logging.Slf4jFactory;
import com.hazelcast.logging.StandardLoggerFactory;
import java.util.logging.Level;

/**
 * Hazelcast's logging for a test run, through SLF4J: only warnings and errors (only errors where it
 * reports members and connections coming and going), so a passing build prints none of the member's
 * start-up, join, migration and departure lines. When the user chose Hazelcast's logging themselves
 * ({@code -Dhazelcast.logging.type}, or {@code -Dhazelcast.logging.class}), everything goes to that choice at
 * its own levels: {@code -Dhazelcast.logging.type=slf4j} shows everything again. Either way the run's secret
 * cluster names never pass ({@link Redaction}). Installed by the system property Hazelcast reads before its
 * first log line ({@code hazelcast.logging.class}), the user's own class moved aside to
 * {@code ratelimit.hazelcast.logging.class}: Hazelcast makes this factory by class name and hands it nothing,
 * and its logging is configured by system properties, so the user's choice stays among them rather than in a
 * static field of this library.
 */
public final class QuietHazelcastLogging implements LoggerFactory {
  static final String CLASS_PROPERTY = "hazelcast.logging.class";
  static final String TYPE_PROPERTY = "hazelcast.logging.type";
  /** Where {@link #install()} keeps the user's own {@code hazelcast.logging.class}, if they set one. */
  static final String USER_CLASS_PROPERTY = "ratelimit.hazelcast.logging.class";

  /**
   * Where Hazelcast warns of members and connections coming and going: routine in a test run, whose forks
   * start and leave at their own pace, and handled by the limiter (which says so itself when it matters:
   * a worker that left holding permits, a lost cluster). Only their errors pass.
   */
  private static final java.util.List<String> CHURN = java.util.List.of("com.hazelcast.internal.server.",
      "com.hazelcast.internal.cluster.", "com.hazelcast.internal.partition.", "com.hazelcast.instance.impl.Node",
      "com.hazelcast.client.impl.connection.", "com.hazelcast.client.impl.spi.", "com.hazelcast.spi.impl.operationservice.");

  /** Hazelcast's factory for each {@code hazelcast.logging.type} (others mean jdk, as in Hazelcast). */
  private static final java.util.Map<String, String> TYPES = java.util.Map.of("slf4j", "com.hazelcast.logging.Slf4jFactory",
      "log4j", "com.hazelcast.logging.Log4jFactory", "log4j2", "com.hazelcast.logging.Log4j2Factory",
      "none", "com.hazelcast.logging.NoLogFactory", "jdk", "com.hazelcast.logging.StandardLoggerFactory");

  private final LoggerFactory delegate;
  private final boolean quiet;

  /** Made by Hazelcast (from {@code hazelcast.logging.class}) for its members and clients. */
  public QuietHazelcastLogging() {
    String chosenClass = System.getProperty(USER_CLASS_PROPERTY, "").isBlank() ? null : System.getProperty(USER_CLASS_PROPERTY);
    String chosenType = System.getProperty(TYPE_PROPERTY);
    quiet = chosenClass == null && chosenType == null;
    if (chosenClass != null) {
      delegate = create(chosenClass);
    } else if (quiet) {
      delegate = new Slf4jFactory();
    } else {
      delegate = create(TYPES.getOrDefault(chosenType, TYPES.get("jdk")));
    }
  }

  /** Routes Hazelcast's logging here (the user's choice behind it); call before Hazelcast starts. */
  public static synchronized void install() {
    String current = System.getProperty(CLASS_PROPERTY);
    if (!QuietHazelcastLogging.class.getName().equals(current)) {
      if (current == null || current.isBlank()) {
        System.clearProperty(USER_CLASS_PROPERTY);
      } else {
        System.setProperty(USER_CLASS_PROPERTY, current);
      }
      System.setProperty(CLASS_PROPERTY, QuietHazelcastLogging.class.getName());
    }
  }

  private static LoggerFactory create(String className) {
    try {
      return (LoggerFactory) Class.forName(className).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return new StandardLoggerFactory(); // Hazelcast's own fallback when a logging type's library is missing
    }
  }

  @Override
  public ILogger getLogger(String name) {
    if (!quiet) {
      return new Filtered(delegate.getLogger(name), Level.ALL);
    }
    boolean churn = CHURN.stream().anyMatch(name::startsWith);
    return new Filtered(delegate.getLogger(name), churn ? Level.SEVERE : Level.WARNING);
  }

  /** A logger that passes on what is at or above its threshold, the run's secret cluster names hidden. */
  private static final class Filtered extends AbstractLogger {
    private final ILogger delegate;
    private final Level threshold;

    Filtered(ILogger delegate, Level threshold) {
      this.delegate = delegate;
      this.threshold = threshold;
    }

    @Override
    public void log(Level level, String message) {
      if (isLoggable(level)) {
        delegate.log(level, Redaction.apply(message));
      }
    }

    @Override
    public void log(Level level, String message, Throwable thrown) {
      if (isLoggable(level)) {
        delegate.log(level, Redaction.apply(message), Redaction.apply(thrown));
      }
    }

    @Override
    public void log(LogEvent logEvent) {
      java.util.logging.LogRecord record = logEvent.getLogRecord();
      if (isLoggable(record.getLevel())) {
        record.setMessage(Redaction.apply(record.getMessage()));
        record.setThrown(Redaction.apply(record.getThrown()));
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
