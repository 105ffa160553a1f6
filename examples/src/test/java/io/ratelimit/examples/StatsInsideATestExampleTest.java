package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.RateLimitStats;
import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * Reading {@link RateLimitStats} inside a test: a live snapshot of the whole run's counters (every
 * worker's, merged), e.g. to assert that a test's traffic stayed clear of the API's quota.
 */
@RateLimitedApiTest
class StatsInsideATestExampleTest {

  @Test
  void seesItsOwnRequestsInTheRunsCounters(OkHttpClient client, @TestPrefix String prefix, RateLimitStats before) {
    new Items(client).create(prefix + "counted", prefix);

    RateLimitStats after = io.ratelimit.core.RateLimitedClients.statistics();
    assertTrue(after.totals().requests() > before.totals().requests(), after.summary());
    assertEquals(0, after.totals().exhausted(), "no request of the run ran out of retries");
  }
}
