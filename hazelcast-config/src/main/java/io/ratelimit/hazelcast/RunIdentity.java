package io.ratelimit.hazelcast;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Derives the run identity when {@code PYTEST_RUN_ID} is not set: the forks Surefire starts for one build
 * all descend from the same Maven JVM (through a shell of their own), so the nearest ancestor that is a
 * JVM, by its process id and start time, names the build. Two builds on one machine run in two Maven
 * JVMs (or the same pid at different start times), so they never share an identity. Without a JVM among
 * its ancestors, a JVM is named after its parent process.
 */
public final class RunIdentity {
  private RunIdentity() {}

  /** {@code build-} and a short hash of the parent process's pid and start instant. */
  public static String derive() {
    ProcessHandle self = ProcessHandle.current();
    ProcessHandle build = self.parent().orElse(self);
    for (Optional<ProcessHandle> p = self.parent(); p.isPresent(); p = p.get().parent()) {
      if (isJvm(p.get())) {
        build = p.get();
        break;
      }
    }
    String start = build.info().startInstant().map(Object::toString).orElse("unknown-start");
    return "build-" + hash(build.pid() + "@" + start);
  }

  private static boolean isJvm(ProcessHandle process) {
    return process.info().command().map(c -> c.endsWith("/java") || c.endsWith("\\java.exe") || c.equals("java")).orElse(false);
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
