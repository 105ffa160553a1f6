package io.ratelimit.benchmarks;

import io.ratelimit.core.ClusterMember;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A {@link ClusterMember} in its own JVM, as a fork of a build would be. */
public final class Member implements AutoCloseable {
  private final Process process;
  final long joinMillis;
  final int membersAfterJoin;

  Member(Map<String, String> env) throws IOException {
    this(env, ClusterMember.class);
  }

  /** A member started by {@code main}, which prints {@code MEMBER <address> <cluster> joinMs=.. members=..} once joined. */
  public Member(Map<String, String> env, Class<?> main) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), main.getName())).redirectErrorStream(true);
    builder.environment().putAll(env);
    process = builder.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.startsWith("MEMBER ")) {
      // Hazelcast's start-up lines
    }
    if (line == null) {
      throw new IOException("the member JVM exited before joining");
    }
    joinMillis = Long.parseLong(line.replaceAll(".* joinMs=([0-9]+).*", "$1"));
    membersAfterJoin = Integer.parseInt(line.replaceAll(".* members=([0-9]+).*", "$1"));
    Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "member-output");
    drain.setDaemon(true);
    drain.start();
  }

  /** Resident memory of the member's JVM, in MiB (Linux), or -1. */
  long residentMib() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException notLinux) {
      // fall through
    }
    return -1;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
