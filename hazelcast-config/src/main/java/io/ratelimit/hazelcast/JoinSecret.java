package io.ratelimit.hazelcast;

import io.ratelimit.settings.ValueParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The run's join secret: what a JVM must know to join the run's cluster as a member or connect to it as a
 * client (Hazelcast Community checks nothing else than the cluster's name). Never shown: {@link #toString()}
 * hides it, and only the cluster name derived from it ({@link #clusterName}) goes to Hazelcast.
 */
final class JoinSecret {
  /** What {@code PYTEST_CLUSTER_SECRET} accepts, for the messages (which never show the value). */
  static final String ACCEPTED = "at least 22 characters, only letters, digits and . _ ~ + / = - "
      + "(e.g. 32 random bytes as hex: openssl rand -hex 32)";
  /** 22 base64 characters carry 132 bits; hex, base64 and base64url values pass as they are. */
  private static final Pattern FORMAT = Pattern.compile("[A-Za-z0-9._~+/=-]{22,512}");

  private final String value;

  private JoinSecret(String value) {
    this.value = value;
  }

  /**
   * The secret {@code text} is.
   *
   * @throws IllegalArgumentException when it is not acceptable; the message never shows it
   */
  static JoinSecret of(String text) {
    if (text == null || !FORMAT.matcher(text).matches()) {
      throw new IllegalArgumentException("ratelimit-testkit: invalid join secret (not shown): expected " + ACCEPTED);
    }
    return new JoinSecret(text);
  }

  /** Parses {@code PYTEST_CLUSTER_SECRET}. */
  static ValueParser<JoinSecret> parser() {
    return new ValueParser<>() {
      @Override
      public JoinSecret parse(String text) {
        return of(text);
      }

      @Override
      public String accepted() {
        return ACCEPTED;
      }
    };
  }

  /**
   * The Hazelcast cluster name of run {@code runId}: {@code ratelimit-<run id>-} and the SHA-256 of the run id
   * and the secret, in hex. The secret itself never travels (Hazelcast Community sends the cluster name in
   * clear), and a name seen on the wire opens that run only, not the next one that uses the same
   * {@code PYTEST_CLUSTER_SECRET}. As secret as the secret: never logged (see {@code Redaction}).
   */
  String clusterName(String runId) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha256.digest(("ratelimit-testkit join\n" + runId + "\n" + value).getBytes(StandardCharsets.UTF_8));
      return "ratelimit-" + runId + "-" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException impossible) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", impossible); // every Java platform has it
    }
  }

  /** The value, for the run directory's file only. */
  String text() {
    return value;
  }

  @Override
  public String toString() {
    return "JoinSecret(not shown)";
  }
}
