package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.ExclusiveResource;
import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * An exclusive resource: every test here rewrites the items of one shared account and then checks the
 * account holds exactly what it wrote. Two such tests at once, on any worker, would see each other's
 * items; {@code @ExclusiveResource} makes them take turns across the whole run (the others wait, their
 * waits appear under "Lease waits" in the report).
 */
@RateLimitedApiTest
@ExclusiveResource("shared-account")
class ExclusiveResourceExampleTest {
  private static final String ACCOUNT = "shared-account";

  private static void rewriteTheAccount(OkHttpClient client, String prefix) {
    Items items = new Items(client);
    items.deleteAllOwnedBy(ACCOUNT);
    List<String> written = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      written.add(prefix + "entry-" + i);
      assertEquals(201, items.create(written.get(i), ACCOUNT).status());
    }
    List<String> found = new ArrayList<>();
    items.listOwnedBy(ACCOUNT).body().forEach(item -> found.add(item.get("name").asText()));
    assertEquals(written, found, "the account holds exactly what this test wrote");
  }

  @Test
  void monthlyPlan(OkHttpClient client, @TestPrefix String prefix) {
    rewriteTheAccount(client, prefix);
  }

  @Test
  void yearlyPlan(OkHttpClient client, @TestPrefix String prefix) {
    rewriteTheAccount(client, prefix);
  }

  @Test
  void freePlan(OkHttpClient client, @TestPrefix String prefix) {
    rewriteTheAccount(client, prefix);
  }
}
