package io.ratelimit.examples;

import io.ratelimit.core.DocumentKind;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.examples.demoapi.DemoApi;
import io.ratelimit.examples.demoapi.DemoQuota;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The run's one demo API, which every fork tests. The first fork to need it claims it through the run's
 * cluster, starts {@link DemoApi} in a JVM of its own on a free loopback port and shares the address;
 * the others wait for that address. The demo API stops when the build that started it ends (or after
 * five idle minutes), so it outlives every fork but never the build. With {@code DEMO_API_URL} set (a
 * fault drill's API, say) every fork uses that address instead.
 */
final class DemoApiHost {
  /** The demo API's address, shared by the worker that started it. */
  private static final DocumentKind<String> DEMO_API = DocumentKind.text("demo-api");
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static volatile String baseUrl;

  private DemoApiHost() {}

  /** The demo API's base URL, e.g. {@code http://127.0.0.1:41234}; the first call in a JVM joins or starts it. */
  static String baseUrl() {
    String url = baseUrl;
    return url != null ? url : join();
  }

  private static synchronized String join() {
    if (baseUrl != null) {
      return baseUrl;
    }
    String given = System.getenv("DEMO_API_URL");
    if (given != null) {
      if (!given.matches("http://127\\.0\\.0\\.1:[0-9]{1,5}")) {
        throw new IllegalStateException("DEMO_API_URL='" + given + "' is not accepted: expected http://127.0.0.1:<port>");
      }
      baseUrl = given;
      return baseUrl;
    }
    RateLimitCoordinator coordinator = RateLimitedClients.coordinator();
    try {
      if (coordinator.claim("demo-api")) {
        coordinator.publish(DEMO_API, startDemoApi());
      }
      long deadline = System.nanoTime() + BOUND.toNanos();
      Optional<String> url;
      while ((url = coordinator.published(DEMO_API).values().stream().findFirst()).isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no demo API address shared within " + BOUND.toSeconds() + " s");
        }
        TimeUnit.MILLISECONDS.sleep(50);
      }
      baseUrl = url.get();
      return baseUrl;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Starts the demo API's JVM, tied to the build's lifetime, and returns its address. */
  private static String startDemoApi() throws IOException {
    DemoQuota quota = DemoQuota.DEFAULT;
    String rate = System.getenv("DEMO_API_RATE"); // a stricter quota, for the suite speed-up benchmark
    if (rate != null && rate.matches("[0-9]{1,4}(\\.[0-9]{1,3})?")) {
      quota = new DemoQuota(Double.parseDouble(rate), quota.burst(), quota.maxInFlight(), quota.latency());
    }
    Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-cp", classPathOf(DemoApi.class, com.fasterxml.jackson.databind.ObjectMapper.class,
            com.fasterxml.jackson.core.JsonParser.class, com.fasterxml.jackson.annotation.JsonProperty.class),
        DemoApi.class.getName(), "0", Double.toString(quota.requestsPerSecond()), Integer.toString(quota.maxInFlight()),
        Long.toString(buildProcess().pid())))
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    for (String line; (line = out.readLine()) != null; ) {
      seen.append(line).append('\n');
      if (line.startsWith("demo API listening on ")) {
        System.out.println("ratelimit-testkit examples: " + line + " (" + quota + ")");
        return line.substring("demo API listening on ".length()).trim();
      }
    }
    throw new IOException("the demo API's JVM exited before listening:\n" + seen);
  }

  /** The build's JVM: the nearest ancestor that is a JVM (Surefire's forks run under a shell of their own). */
  private static ProcessHandle buildProcess() {
    for (Optional<ProcessHandle> p = ProcessHandle.current().parent(); p.isPresent(); p = p.get().parent()) {
      if (p.get().info().command().map(c -> c.endsWith("/java") || c.endsWith("java.exe")).orElse(false)) {
        return p.get();
      }
    }
    return ProcessHandle.current();
  }

  /** The jars (or class folders) these classes come from: the demo API needs only itself and Jackson. */
  private static String classPathOf(Class<?>... classes) {
    return Arrays.stream(classes).map(c -> {
      try {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }).distinct().collect(Collectors.joining(File.pathSeparator));
  }
}
