package io.ratelimit.examples;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;

/** Published-rate suite ({@link PublishedRateSuite}): five creates per test. */
@RateLimitedApiTest
@Tag(PublishedRateSuite.TAG)
class PublishedRateCreateTest extends PublishedRateSuite {
  @RepeatedTest(TESTS_PER_CLASS)
  void createsFiveItems(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < REQUESTS_PER_TEST; i++) {
      expect(201, items.create(prefix + "item-" + i, prefix));
    }
  }
}
