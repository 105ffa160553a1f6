package io.ratelimit.hazelcast;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Derives the run identity when {@code PYTEST_RUN_ID} is not set: the forks Surefire starts for one build
 * all descend from the same Maven JVM (through a shell of their own), so the nearest ancestor that is a
 * JVM, by its process id and start ({@link ProcessStart}: one all JVMs agree on whatever the wall clock
 * did meanwhile), names the build. Two builds on one machine run in two Maven JVMs (or the same pid at
 * different start times), so they never share an identity. Without a JVM among its ancestors, a JVM is
 * named after its parent process. Plain numbers, no digest: it runs in every fork before the first
 * request, and a cryptographic provider or a date formatter would cost that request tens of milliseconds of
 * class loading.
 */
public final class RunIdentity {
  private RunIdentity() {}

  /** {@code build-}, the pid of the build's JVM and its start ({@link ProcessStart}, base 36). */
  public static String derive() {
    ProcessHandle self = ProcessHandle.current();
    ProcessHandle build = self.parent().orElse(self);
    for (Optional<ProcessHandle> p = self.parent(); p.isPresent(); p = p.get().parent()) {
      if (isJvm(p.get())) {
        build = p.get();
        break;
      }
    }
    OptionalLong started = ProcessStart.of(build);
    String start = started.isPresent() ? Long.toString(started.getAsLong(), 36) : "unknown";
    return "build-" + build.pid() + "-" + start;
  }

  private static boolean isJvm(ProcessHandle process) {
    return process.info().command().map(c -> c.endsWith("/java") || c.endsWith("\\java.exe") || c.equals("java")).orElse(false);
  }
}
