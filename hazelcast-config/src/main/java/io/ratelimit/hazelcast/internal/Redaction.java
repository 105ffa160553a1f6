package io.ratelimit.hazelcast.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the run's secret cluster names out of what Hazelcast says. With its log details off (no prefix),
 * Hazelcast still names the cluster in a few messages ({@code Cluster name: ...} when a member starts,
 * {@code Trying to connect to cluster: ...} when a client does): every message that passes through
 * {@link QuietHazelcastLogging}, and every reason the connector reports, shows the cluster's display name
 * instead.
 */
public final class Redaction {
  /** Secret text to what is shown instead: one entry per run this JVM has joined, a handful at most. */
  private static final Map<String, String> HIDDEN = new ConcurrentHashMap<>();

  private Redaction() {}

  /** From now on, {@code secret} is shown as {@code shownAs} wherever it would appear. */
  public static void hide(String secret, String shownAs) {
    HIDDEN.put(secret, shownAs);
  }

  /** {@code text} with every hidden value replaced; {@code null} stays {@code null}. */
  public static String apply(String text) {
    if (text == null || HIDDEN.isEmpty()) {
      return text;
    }
    String shown = text;
    for (Map.Entry<String, String> hidden : HIDDEN.entrySet()) {
      if (shown.contains(hidden.getKey())) {
        shown = shown.replace(hidden.getKey(), hidden.getValue());
      }
    }
    return shown;
  }

  /**
   * {@code thrown}, or, when its message or one of its causes' names a hidden value, a copy whose messages
   * show the display name instead (same types' names and stack traces, as text).
   */
  public static Throwable apply(Throwable thrown) {
    if (thrown == null || HIDDEN.isEmpty() || !names(thrown)) {
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
