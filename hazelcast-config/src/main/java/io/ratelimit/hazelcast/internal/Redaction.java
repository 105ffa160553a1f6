package io.ratelimit.hazelcast.internal;

import java.util.regex.Pattern;

/**
 * Keeps the run's secret cluster names out of what Hazelcast says. With its log details off (no prefix),
 * Hazelcast still names the cluster in a few messages ({@code Cluster name: ...} when a member starts,
 * {@code Trying to connect to cluster: ...} when a client does): every message that passes through
 * {@link QuietHazelcastLogging}, and every reason the connector reports, shows the cluster's display name
 * instead. A secret name is known by its shape ({@code ratelimit-<run id>-} and 64 hex digits, see
 * {@code JoinSecret#clusterName}), its display name is the part before the digits: nothing to remember, so
 * the name of a run this JVM never joined is hidden too.
 */
public final class Redaction {
  /**
   * A secret cluster name: the display name ({@code ratelimit-} and a run id of at most 64 of
   * {@code [A-Za-z0-9._-]}), a dash and the 64 hex digits of a SHA-256.
   */
  private static final Pattern SECRET_NAME = Pattern.compile("(ratelimit-[A-Za-z0-9._-]{1,64}?)-[0-9a-f]{64}(?![0-9A-Za-z])");

  private Redaction() {}

  /** {@code text} with every secret cluster name shown as its display name; {@code null} stays {@code null}. */
  public static String apply(String text) {
    if (text == null || !text.contains("ratelimit-")) {
      return text;
    }
    return SECRET_NAME.matcher(text).replaceAll("$1");
  }

  /**
   * {@code thrown}, or, when its message or one of its causes' names a hidden value, a copy whose messages
   * show the display name instead (same types' names and stack traces, as text).
   */
  public static Throwable apply(Throwable thrown) {
    if (thrown == null || !names(thrown)) {
      return thrown;
    }
    return copy(thrown, 0);
  }

  private static boolean names(Throwable thrown) {
    int depth = 0;
    for (Throwable t = thrown; t != null && depth < 20; t = t.getCause(), depth++) {
      String message = t.getMessage();
      if (message != null && !message.equals(apply(message))) {
        return true;
      }
    }
    return false;
  }

  private static Throwable copy(Throwable thrown, int depth) {
    Throwable cause = thrown.getCause() == null || thrown.getCause() == thrown || depth >= 20 ? null : copy(thrown.getCause(), depth + 1);
    Redacted copy = new Redacted(thrown.getClass().getName(), apply(thrown.getMessage()), cause);
    copy.setStackTrace(thrown.getStackTrace());
    return copy;
  }

  /** A throwable as text: the original's class name and its message with the hidden values replaced. */
  private static final class Redacted extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String type;

    Redacted(String type, String message, Throwable cause) {
      super(message, cause, false, true);
      this.type = type;
    }

    @Override
    public String toString() {
      return getMessage() == null ? type : type + ": " + getMessage();
    }
  }
}
