package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.examples.demoapi.DemoApi;
import io.ratelimit.examples.demoapi.DemoQuota;
import io.ratelimit.junit.ExpectRateLimits;
import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import io.ratelimit.junit.WorkerInfo;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The sequential switch under a 429 storm: a burst against an API far stricter than the limits expect
 * (2 requests/s) gets 429s; once more than PYTEST_ERROR_THRESHOLD of the last 50 attempts are 429s, the
 * whole run (every worker) goes sequential and the report says when and why. Tagged {@code storm} and
 * left out of the main suite, since it turns the whole run sequential. Run it alone:
 * {@code mvn -B -pl examples verify -Dexamples.excludedGroups=none -Dgroups=storm}. It provokes 429s on purpose, so it is
 * marked {@link ExpectRateLimits}: a request that runs out of retries leaves it as its body says, not "throttled".
 */
@RateLimitedApiTest
@ExpectRateLimits
@Tag("storm")
class SequentialSwitchExampleTest {

  @Test
  void aStormOf429sTurnsTheRunSequential(OkHttpClient client, @TestPrefix String prefix, WorkerInfo before) throws Exception {
    try (DemoApi strict = DemoApi.start(new DemoQuota(2, 1, 10, Duration.ofMillis(10)))) {
      Items items = new Items(client, strict.baseUrl());
      CompletableFuture<?>[] burst = new CompletableFuture<?>[60];
      for (int i = 0; i < burst.length; i++) {
        int n = i;
        burst[i] = CompletableFuture.runAsync(() -> items.create(prefix + n, prefix));
      }
      CompletableFuture.allOf(burst).join();
    }
    assertTrue(io.ratelimit.core.RateLimitedClients.coordinator().runMode().sequential(), "the run went sequential");
  }
}
