package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;

/** Published-rate suite ({@link PublishedRateSuite}): one create, four reads per test. */
@RateLimitedApiTest
@Tag(PublishedRateSuite.TAG)
class PublishedRateReadTest extends PublishedRateSuite {
  @RepeatedTest(TESTS_PER_CLASS)
  void readsAnItemBackFourTimes(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = expect(201, items.create(prefix + "read", prefix)).body().get("id").asLong();
    for (int i = 1; i < REQUESTS_PER_TEST; i++) {
      assertEquals(prefix + "read", expect(200, items.get(id)).body().get("name").asText());
    }
  }
}
