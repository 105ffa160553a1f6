package io.ratelimit.benchmarks.startup;

import com.sun.net.httpserver.HttpServer;
import io.ratelimit.benchmarks.Settings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Time from {@code RateLimitedClients.create(...)} to the first answer, CPU seconds and resident memory
 * per fork, for 1, 2, 4 and 8 JVMs released at the same instant (each already started and waiting on its
 * standard input, as forks Surefire starts together are), default settings (machine mode), one build
 * identity per round; then how many JVMs each fork's run had. Prints a Markdown table.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -q -pl benchmarks exec:exec
 * -Dbenchmark=io.ratelimit.benchmarks.startup.StartupBenchmark} ({@code STARTUP_ROUNDS}, default 3;
 * {@code STARTUP_FORKS}, default {@code 1,2,4,8}; {@code STARTUP_JVM_ARGS}, extra flags for the forks; {@code STARTUP_PLAIN=true}, the same forks sending with a
 * plain {@code OkHttpClient} and no limiter, the floor that the JVM and OkHttp set; {@code both}, the two
 * side by side, alternating which goes first, and the difference of their medians).
 */
public final class StartupBenchmark {
  private StartupBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> problems = new ArrayList<>();
    int rounds = Settings.integer("STARTUP_ROUNDS", 3, 1, 100, problems);
    int[] forkCounts = Settings.integers("STARTUP_FORKS", new int[] {1, 2, 4, 8}, 1, 64, problems);
    String jvmArgs = Settings.value("STARTUP_JVM_ARGS", "");
    String plainSetting = Settings.oneOf("STARTUP_PLAIN", "false", List.of("true", "false", "both"), problems);
    Settings.check("start-up benchmark", problems);
    List<Boolean> kinds = plainSetting.equals("both") ? List.of(false, true) : List.of(Boolean.parseBoolean(plainSetting));
    HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    api.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    api.start();
    String url = "http://127.0.0.1:" + api.getAddress().getPort() + "/";
    System.out.printf(Locale.ROOT, "# start-up, %s, %d cores, Java %s, fork flags [%s], %d rounds%s%n%n", LocalDate.now(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), jvmArgs, rounds,
        kinds.size() == 2 ? ", with the limiter and plain OkHttp side by side (alternating first, round by round)"
            : kinds.get(0) ? ", plain OkHttp (no limiter)" : "");
    System.out.println("| JVMs together | forks | first answer p50 ms | max ms | CPU s per fork (p50) | RSS MiB (p50) | rounds in one run |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|");
    for (int n : forkCounts) {
      java.util.Map<Boolean, Rounds> byKind = new java.util.LinkedHashMap<>();
      kinds.forEach(kind -> byKind.put(kind, new Rounds()));
      for (int r = 0; r < rounds; r++) {
        List<Boolean> order = new ArrayList<>(kinds);
        if (r % 2 == 1) {
          java.util.Collections.reverse(order); // neither kind always goes on a machine the other just warmed
        }
        for (boolean plain : order) {
          round(n, plain, jvmArgs, url, byKind.get(plain));
        }
      }
      byKind.forEach((plain, done) -> System.out.printf(Locale.ROOT, "| %d | %s | %d | %d | %.1f | %d | %d / %d |%n", n,
          plain ? "plain OkHttp" : "ratelimit-testkit", median(done.first), done.first.stream().mapToLong(x -> x).max().orElse(0),
          median(done.cpu) / 1000.0, median(done.rss), done.together, rounds));
      if (kinds.size() == 2) {
        System.out.printf(Locale.ROOT, "| %d | **the limiter adds** | **%+d** | | | | |%n", n,
            median(byKind.get(false).first) - median(byKind.get(true).first));
      }
    }
    api.stop(0);
    System.exit(0);
  }

  /** What the rounds of one kind of fork measured. */
  private static final class Rounds {
    final List<Long> first = new ArrayList<>();
    final List<Long> cpu = new ArrayList<>();
    final List<Long> rss = new ArrayList<>();
    int together;
  }

  /** One round: {@code n} forks released together, each sending one request. */
  private static void round(int n, boolean plain, String jvmArgs, String url, Rounds into) throws IOException, InterruptedException {
    String runId = "startup-" + UUID.randomUUID().toString().substring(0, 8);
    List<Fork> forks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      forks.add(new Fork(runId, jvmArgs, url, n, plain));
    }
    for (Fork f : forks) {
      f.awaitLine("READY");
    }
    for (Fork f : forks) {
      f.tell("go");
    }
    for (Fork f : forks) {
      String line = f.awaitLine("FIRST ");
      into.first.add(value(line, "ms"));
      into.cpu.add(value(line, "cpuMs"));
      into.rss.add(value(line, "rssMib"));
    }
    boolean together = true;
    for (Fork f : forks) {
      f.tell("report");
    }
    for (Fork f : forks) {
      together &= value(f.awaitLine("CLUSTER "), "size") == n;
    }
    for (Fork f : forks) {
      f.tell("exit");
    }
    into.together += together ? 1 : 0;
    for (Fork f : forks) {
      f.close();
    }
  }

  private static long value(String line, String key) {
    for (String part : line.split(" ")) {
      if (part.startsWith(key + "=")) {
        return Long.parseLong(part.substring(key.length() + 1));
      }
    }
    throw new IllegalArgumentException(key + " missing in " + line);
  }

  private static long median(List<Long> values) {
    long[] sorted = values.stream().mapToLong(x -> x).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  /** A fork JVM, its output read line by line. */
  private static final class Fork implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final List<String> seen = new ArrayList<>();

    Fork(String runId, String jvmArgs, String url, int forks, boolean plain) throws IOException {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      if (!jvmArgs.isBlank()) {
        command.addAll(Arrays.asList(jvmArgs.trim().split("\\s+")));
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), StartupFork.class.getName(), url, Integer.toString(forks),
          plain ? "plain" : "limited"));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().put("PYTEST_RUN_ID", runId);
      process = builder.start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    void tell(String line) throws IOException {
      process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    }

    String awaitLine(String prefix) throws IOException {
      for (String line; (line = out.readLine()) != null; ) {
        seen.add(line);
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      throw new IOException("fork exited before printing " + prefix + ":\n" + String.join("\n", seen));
    }

    int logLines() {
      return seen.size();
    }

    @Override
    public void close() throws InterruptedException {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
