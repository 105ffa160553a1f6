package io.ratelimit.benchmarks.startup;

import com.sun.management.OperatingSystemMXBean;
import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitedClients;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One fork of {@link StartupBenchmark}: waits for the go line on standard input, then does what a test
 * fork does on its first request ({@code RateLimitedClients.create}, one request to the API at args[0]),
 * and prints {@code FIRST ms=.. cpuMs=.. rssMib=..}; then, once told, how many members its cluster has
 * once args[1] have joined (or after 30 s), and exits when told. With args[2] {@code plain} it sends the
 * request with a plain {@code OkHttpClient} instead, no limiter: the floor the JVM and OkHttp set.
 */
public final class StartupFork {
  private StartupFork() {}

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("READY");
    in.readLine(); // go
    long start = System.nanoTime();
    boolean plain = args.length > 2 && args[2].equals("plain");
    OkHttpClient client = plain ? new OkHttpClient() : RateLimitedClients.create(RateLimitConfig.fromEnvironment());
    try (Response response = client.newCall(new Request.Builder().url(args[0]).build()).execute()) {
      response.body().string();
    }
    long firstMillis = (System.nanoTime() - start) / 1_000_000;
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    System.out.println("FIRST ms=" + firstMillis + " cpuMs=" + os.getProcessCpuTime() / 1_000_000 + " rssMib=" + residentMib());
    in.readLine(); // report
    if (plain) {
      System.out.println("CLUSTER size=" + args[1] + " coordination=none");
      in.readLine();
      System.exit(0);
    }
    RateLimitCoordinator coordinator = RateLimitedClients.coordinator();
    int expected = Integer.parseInt(args[1]);
    long deadline = System.nanoTime() + 30_000_000_000L; // the members join in the background: wait for them, bounded
    while (coordinator.clusterSize() < expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    System.out.println("CLUSTER size=" + coordinator.clusterSize() + " coordination=" + coordinator.coordination()
        + " cpuMs=" + os.getProcessCpuTime() / 1_000_000);
    in.readLine(); // exit: only once every fork has reported, so none leaves the cluster before the others have looked
    coordinator.close();
    System.exit(0);
  }

  private static long residentMib() throws java.io.IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }
}
