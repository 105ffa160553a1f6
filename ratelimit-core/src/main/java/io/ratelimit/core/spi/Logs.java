package io.ratelimit.core.spi;

import io.ratelimit.core.RateLimitedClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The library's loggers: SLF4J loggers whose DEBUG messages come out at INFO while {@code PYTEST_DEBUG=true},
 * so that switch shows them whatever the logging back-end and its configuration (a logger set to DEBUG shows
 * them anyway). Everything else passes through unchanged. The back-end is looked up on a logger's first use,
 * not when it is made: a fork's first request has nothing to log, and a back-end's start (its configuration,
 * its date formats) would cost that request tens of milliseconds. The switch is the JVM's limiter's
 * ({@link RateLimitedClients#debugLogging()}): the loggers are the JVM's, so it holds for all of them.
 */
public final class Logs {
  private Logs() {}

  /** A logger named after {@code type}. */
  public static Logger get(Class<?> type) {
    return new DebugAwareLogger(type.getName());
  }

  /** Turns {@code PYTEST_DEBUG} on (or off) for every logger of the library, from now on. */
  public static void debug(boolean on) {
    RateLimitedClients.debugLogging(on);
  }

  /** Whether {@code PYTEST_DEBUG} is on. */
  public static boolean debug() {
    return RateLimitedClients.debugLogging();
  }

  private static final class DebugAwareLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    private transient volatile Logger delegate;

    DebugAwareLogger(String name) {
      this.name = name;
    }

    private Logger delegate() {
      Logger here = delegate;
      if (here == null) {
        here = LoggerFactory.getLogger(name); // SLF4J caches it: a race makes the same call twice, no harm
        delegate = here;
      }
      return here;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return DebugAwareLogger.class.getName();
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, org.slf4j.Marker marker, String message, Object[] arguments, Throwable cause) {
      Level target = level == Level.DEBUG && Logs.debug() && !delegate().isDebugEnabled() ? Level.INFO : level;
      LoggingEventBuilder event = delegate().atLevel(target).setMessage(message);
      if (arguments != null) {
        for (Object argument : arguments) {
          event = event.addArgument(argument);
        }
      }
      if (cause != null) {
        event = event.setCause(cause);
      }
      event.log();
    }

    @Override
    public boolean isTraceEnabled() {
      return delegate().isTraceEnabled();
    }

    @Override
    public boolean isDebugEnabled() {
      return delegate().isDebugEnabled() || (Logs.debug() && delegate().isInfoEnabled());
    }

    @Override
    public boolean isInfoEnabled() {
      return delegate().isInfoEnabled();
    }

    @Override
    public boolean isWarnEnabled() {
      return delegate().isWarnEnabled();
    }

    @Override
    public boolean isErrorEnabled() {
      return delegate().isErrorEnabled();
    }
  }
}
