package io.ratelimit.examples;

import io.ratelimit.core.RateLimitConfig;
import io.ratelimit.core.RateLimitCoordinator;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.examples.demoapi.DemoApi;
import io.ratelimit.examples.demoapi.DemoQuota;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Use without JUnit: a plain {@code main} that sends 80 requests from 8 threads through a rate-limited
 * client to the demo API (40 requests/s, 10 in flight), then prints what the limiter did and what the
 * server saw. The limiter is closed at the end (try-with-resources): its counters are flushed and the JVM
 * leaves the run's cluster, so the program ends. Run it with
 * {@code mvn -q -pl examples exec:java -Dexec.mainClass=io.ratelimit.examples.WithoutJUnit} after the build.
 */
public final class WithoutJUnit {
  private static final MediaType JSON = MediaType.get("application/json");

  private WithoutJUnit() {}

  public static void main(String[] args) throws Exception {
    try (DemoApi api = DemoApi.start(DemoQuota.DEFAULT); RateLimitCoordinator limiter = RateLimitedClients.coordinator()) {
      // the PYTEST_* environment, with limits that fit the demo API's quota unless set there
      RateLimitConfig config = RateLimitConfig.builderFrom(io.ratelimit.settings.SettingsSource.system(), "default")
          .maxConcurrentRequests(8)
          .rateLimitDelay(Duration.ofMillis(30))
          .build();
      OkHttpClient client = limiter.newClient(config);

      ExecutorService threads = Executors.newFixedThreadPool(8);
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        int n = i;
        results.add(threads.submit(() -> {
          Request create = new Request.Builder().url(api.baseUrl() + "/items")
              .post(RequestBody.create("{\"name\":\"item-" + n + "\",\"owner\":\"main\"}", JSON)).build();
          try (Response response = client.newCall(create).execute()) {
            return response.code();
          }
        }));
      }
      int created = 0;
      for (Future<Integer> result : results) {
        created += result.get(2, TimeUnit.MINUTES) == 201 ? 1 : 0;
      }
      threads.shutdown();

      System.out.println(limiter.statistics().summary());
      System.out.printf("server: %d requests received, %d answered 429, at most %d in flight; %d of 80 items created%n",
          api.received(), api.rejected(), api.maxInFlight(), created);
    }
  }
}
