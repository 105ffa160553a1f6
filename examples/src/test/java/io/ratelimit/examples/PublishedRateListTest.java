package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;

/** Published-rate suite ({@link PublishedRateSuite}): two creates, a list, a delete, a list per test. */
@RateLimitedApiTest
@Tag(PublishedRateSuite.TAG)
class PublishedRateListTest extends PublishedRateSuite {
  @RepeatedTest(TESTS_PER_CLASS)
  void listsAnOwnersItems(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long first = expect(201, items.create(prefix + "a", prefix)).body().get("id").asLong();
    expect(201, items.create(prefix + "b", prefix));
    assertEquals(2, expect(200, items.listOwnedBy(prefix)).body().size());
    expect(204, items.delete(first));
    assertEquals(1, expect(200, items.listOwnedBy(prefix)).body().size());
  }
}
