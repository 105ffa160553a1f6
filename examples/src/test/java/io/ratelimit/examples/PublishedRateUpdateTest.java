package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;

/** Published-rate suite ({@link PublishedRateSuite}): create, rename, read, rename, read per test. */
@RateLimitedApiTest
@Tag(PublishedRateSuite.TAG)
class PublishedRateUpdateTest extends PublishedRateSuite {
  @RepeatedTest(TESTS_PER_CLASS)
  void renamesAnItemTwice(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = expect(201, items.create(prefix + "v1", prefix)).body().get("id").asLong();
    expect(200, items.rename(id, prefix + "v2"));
    assertEquals(2, expect(200, items.get(id)).body().get("version").asInt());
    expect(200, items.rename(id, prefix + "v3"));
    assertEquals(prefix + "v3", expect(200, items.get(id)).body().get("name").asText());
  }
}
