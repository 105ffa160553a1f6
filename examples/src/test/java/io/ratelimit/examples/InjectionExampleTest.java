package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import io.ratelimit.junit.WorkerInfo;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * Injection: one annotation on the class, and tests take what they need as parameters: the rate-limited
 * client, a prefix unique in the whole run for the resources they create, and facts about their worker.
 */
@RateLimitedApiTest
class InjectionExampleTest {

  @Test
  void takesTheClientAPrefixAndWorkerFacts(OkHttpClient client, @TestPrefix String prefix, WorkerInfo worker) {
    Items.Reply created = new Items(client).create(prefix + "injected", prefix);

    assertEquals(201, created.status());
    assertTrue(prefix.startsWith("w"), prefix);
    assertTrue(worker.clusterSize() >= 1, worker.toString());
  }
}
