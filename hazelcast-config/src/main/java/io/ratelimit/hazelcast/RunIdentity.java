package io.ratelimit.hazelcast;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Derives the run identity when {@code PYTEST_RUN_ID} is not set: the forks Surefire starts for one build
 * are children of the same Maven JVM, so the parent process's id and start time name the build. Two
 * builds on one machine have different parents (or the same pid at different start times), so they
 * never share an identity; a JVM started on its own is its parent's only child of that run.
 */
public final class RunIdentity {
  private RunIdentity() {}

  /** {@code build-} and a short hash of the parent process's pid and start instant. */
  public static String derive() {
    ProcessHandle self = ProcessHandle.current();
    ProcessHandle parent = self.parent().orElse(self);
    String start = parent.info().startInstant().map(Object::toString).orElse("unknown-start");
    return "build-" + hash(parent.pid() + "@" + start);
  }

  private static String hash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
