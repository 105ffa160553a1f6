package io.ratelimit.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * A real JVM started on the test class path, as Surefire starts its forks: its output is kept line by
 * line, and it can be waited for, stopped with SIGTERM or killed with SIGKILL.
 */
public final class ForkedJvm implements AutoCloseable {
  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ForkedJvm(String name, Process process) {
    this.name = name;
    this.process = process;
    Thread pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "output of " + name);
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code main} with {@code args} in a new JVM with {@code env} added to this one's environment. */
  public static ForkedJvm start(String name, Class<?> main, Map<String, String> env, String... args) throws IOException {
    return start(name, List.of(), main, env, args);
  }

  /** The same, with {@code jvmOptions} (e.g. {@code -D} properties) before the main class. */
  public static ForkedJvm start(String name, List<String> jvmOptions, Class<?> main, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1"); // short-lived: start fast rather than peak
    // the module openings this JVM was given (Hazelcast's, see the root pom), so forks start as quietly
    command.addAll(openings());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    return new ForkedJvm(name, builder.start());
  }

  private static List<String> openings() {
    List<String> openings = new ArrayList<>();
    for (String argument : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (argument.startsWith("--add-opens") || argument.startsWith("--add-exports")) {
        openings.add(argument);
      }
    }
    return openings;
  }

  /** The first output line matching {@code test}, waiting at most {@code bound}. */
  public String awaitLine(Predicate<String> test, Duration bound) {
    return awaitLine(test, 1, bound);
  }

  /** The {@code n}th output line matching {@code test} (1-based; for a command sent more than once), waiting at most {@code bound}. */
  public String awaitLine(Predicate<String> test, int n, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      Optional<String> line = lines.stream().filter(test).skip(n - 1).findFirst();
      if (line.isPresent()) {
        return line.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " printed no matching line within " + bound.toSeconds() + " s; output:\n" + output());
      }
      if (!process.isAlive() && lines.stream().filter(test).count() < n) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " before printing it; output:\n" + output());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  /** The first line starting with {@code prefix}, without the prefix. */
  public String awaitValue(String prefix, Duration bound) {
    return awaitLine(l -> l.startsWith(prefix), bound).substring(prefix.length()).trim();
  }

  /** Writes a line to the JVM's standard input. */
  public void tell(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Waits for the JVM to exit; returns its exit code. */
  public int awaitExit(Duration bound) throws InterruptedException {
    if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " still running after " + bound.toSeconds() + " s; output:\n" + output());
    }
    return process.exitValue();
  }

  /** SIGKILL: the JVM gets no chance to clean up. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Sends {@code kill -<signal>} (e.g. {@code STOP}, {@code CONT}) and waits for {@code kill} to end. */
  public void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + pid() + " failed");
    }
  }

  /** SIGTERM: shutdown hooks run. */
  public void terminate() {
    // the signal alone: Process.destroy() also closes the JVM's stdin, and a worker whose main loop then reads
    // the end of its input may end by itself (exit 0) before the signal's hooks run
    process.toHandle().destroy();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public String output() {
    return String.join("\n", lines);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
