package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Category caps: tests tagged {@code integration} run at most 4 at once across every worker (the seed's
 * table: unit 8, integration 4, e2e 10, live 10); {@code PYTEST_CATEGORY_LIMITS=integration=2} changes it.
 */
@RateLimitedApiTest
@Tag("integration")
class CategoryCapsExampleTest {

  @Test
  void runsUnderTheIntegrationCap(OkHttpClient client, @TestPrefix String prefix) {
    assertEquals(201, new Items(client).create(prefix + "capped", prefix).status());
  }

  @Test
  void soDoesThisOne(OkHttpClient client, @TestPrefix String prefix) {
    assertEquals(201, new Items(client).create(prefix + "capped-too", prefix).status());
  }
}
