package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.Api;
import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * A named API with its own limits: {@code @Api("billing")} gives a client whose limits come from
 * {@code ratelimit.api.billing.*} (here {@code max-concurrent-requests=2}, set in this module's pom;
 * {@code PYTEST_API_BILLING_MAX_CONCURRENT_REQUESTS} works too) and whose counters show under its name in
 * the report, next to the default API's.
 */
@RateLimitedApiTest
class NamedApiExampleTest {

  @Test
  void usesTwoApisWithDifferentQuotas(OkHttpClient items, @Api("billing") OkHttpClient billing, @TestPrefix String prefix) {
    assertEquals(201, new Items(items).create(prefix + "invoice-subject", prefix).status());
    // the demo has one API; a real suite would point the billing client at the billing service
    assertEquals(201, new Items(billing).create(prefix + "invoice", prefix).status());
  }
}
