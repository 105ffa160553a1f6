package io.ratelimit.benchmarks.drill;

import io.ratelimit.core.PermitName;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.ForkedJvm;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.examples.demoapi.DemoApi;
import io.ratelimit.examples.demoapi.DemoQuota;
import io.ratelimit.hazelcast.testing.FreePorts;
import io.ratelimit.settings.SettingsSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The stage of a fault drill: the demo API (in this JVM, so the drill can stall it and count what each
 * worker sent), worker JVMs running the example suite with the examples' settings, each on a port of
 * its own, and an observer that is a member of the run's cluster (it holds no permits and leaves last).
 */
public final class FaultDrill implements AutoCloseable {
  /** The permits a request can hold: the demo's default API and the examples' "billing" API. */
  private static final List<PermitName> API_PERMITS = List.of(PermitName.api("default"), PermitName.api("billing"));

  private final DemoApi api;
  private final Map<String, String> env;
  private final Path reports;
  private final Map<String, Worker> workers = new LinkedHashMap<>();
  private RateLimitCoordinator observer;

  /** A worker JVM and the API port it sends to. */
  public record Worker(String id, int shard, ForkedJvm jvm, String baseUrl) {}

  /** A drill for {@code workers} workers whose report goes to {@code reports}. */
  public FaultDrill(int workers, Path reports) throws IOException {
    this.api = DemoApi.start(DemoQuota.DEFAULT);
    this.reports = Files.createDirectories(reports);
    Map<String, String> settings = new HashMap<>();
    settings.put("PYTEST_RUN_ID", "drill-" + UUID.randomUUID());
    settings.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(20)));
    settings.put("PYTEST_CLUSTER_PORT_COUNT", "20");
    settings.put("PYTEST_WORKERS", Integer.toString(workers));
    settings.put("PYTEST_MAX_CONCURRENT_REQUESTS", "8"); // the examples' pom: the demo's quota is 40/s, 10 in flight
    settings.put("PYTEST_RATE_LIMIT_DELAY", "0.03");
    settings.put("PYTEST_STATS_REPORT", reports.toString());
    this.env = Map.copyOf(settings);
  }

  /** Starts a worker JVM that runs shard {@code shard} of {@code shards} once, or for {@code seconds}. */
  public Worker start(String id, int shard, int shards, long seconds) throws IOException {
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PYTEST_WORKER_ID", id);
    String baseUrl = api.openPort();
    workerEnv.put("DEMO_API_URL", baseUrl);
    Worker worker = new Worker(id, shard, ForkedJvm.start(id, SuiteWorker.class, workerEnv, Integer.toString(shard),
        Integer.toString(shards), Long.toString(seconds)), baseUrl);
    workers.put(id, worker);
    return worker;
  }

  /** Joins the run's cluster as an observer, once a worker has formed it. */
  public RateLimitCoordinator observer() {
    if (observer == null) {
      observer = RateLimitCoordinator.start(SettingsSource.ofEnvironment(Map.of(
          "PYTEST_RUN_ID", env.get("PYTEST_RUN_ID"),
          "PYTEST_CLUSTER_PORT", env.get("PYTEST_CLUSTER_PORT"),
          "PYTEST_CLUSTER_PORT_COUNT", env.get("PYTEST_CLUSTER_PORT_COUNT"),
          "PYTEST_WORKER_ID", "observer")));
    }
    return observer;
  }

  /** Permits for API requests held across the run, as the cluster has them. */
  public int permitsHeld() {
    return API_PERMITS.stream().mapToInt(observer()::permitsHeld).sum();
  }

  public DemoApi api() {
    return api;
  }

  public Map<String, Worker> workers() {
    return workers;
  }

  /** Requests in flight at the server from these workers. */
  public int inFlightFrom(List<Worker> from) {
    return from.stream().mapToInt(w -> api.inFlightOn(w.baseUrl())).sum();
  }

  /** The run's JSON report (written by the last worker to finish). */
  public JsonNode report() throws IOException {
    return new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
  }

  /** Attempts per worker as the report has them. */
  public Map<String, Long> reportedAttempts() throws IOException {
    Map<String, Long> attempts = new LinkedHashMap<>();
    report().get("workers").forEach(w -> attempts.put(w.get("workerId").asText(), w.get("attempts").asLong()));
    return attempts;
  }

  /** The report's row for one worker, or an empty object if it has none. */
  public JsonNode row(String workerId) throws IOException {
    for (JsonNode row : report().get("workers")) {
      if (row.get("workerId").asText().equals(workerId)) {
        return row;
      }
    }
    return new ObjectMapper().createObjectNode();
  }

  public Path reports() {
    return reports;
  }

  /** Workers still running. */
  public List<Worker> running() {
    return workers.values().stream().filter(w -> w.jvm().isAlive()).toList();
  }

  @Override
  public void close() throws Exception {
    for (Worker worker : workers.values()) {
      worker.jvm().close();
    }
    if (observer != null) {
      observer.close();
    }
    api.close();
  }
}
