package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.junit.Leased;
import io.ratelimit.junit.PoolResources;
import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * A pool: six pre-provisioned tenants, and tests that each need two of them to themselves. The names come
 * in through {@code @Leased("tenants")}; no tenant is ever handed to two tests at once, on any worker. When
 * fewer than two are free within {@code PYTEST_POOL_WAIT}, the test is skipped with a message naming the
 * holders. CI can point at other tenants with {@code PYTEST_RESOURCE_POOLS=tenants=t-a,t-b,t-c}.
 */
@RateLimitedApiTest
@PoolResources(pool = "tenants", count = 2, items = "tenant-1..tenant-6")
class ResourcePoolExampleTest {

  private static void fillEachTenant(OkHttpClient client, String prefix, List<String> tenants) {
    Items items = new Items(client);
    assertEquals(2, tenants.size());
    for (String tenant : tenants) {
      items.deleteAllOwnedBy(tenant);
      assertEquals(201, items.create(prefix + tenant, tenant).status());
      assertEquals(1, items.listOwnedBy(tenant).body().size(), tenant + " is this test's alone");
    }
  }

  @Test
  void migratesTwoTenants(OkHttpClient client, @TestPrefix String prefix, @Leased("tenants") List<String> tenants) {
    fillEachTenant(client, prefix, tenants);
  }

  @Test
  void comparesTwoTenants(OkHttpClient client, @TestPrefix String prefix, @Leased("tenants") List<String> tenants) {
    fillEachTenant(client, prefix, tenants);
  }

  @Test
  void mergesTwoTenants(OkHttpClient client, @TestPrefix String prefix, @Leased("tenants") List<String> tenants) {
    fillEachTenant(client, prefix, tenants);
  }

  @Test
  void splitsTwoTenants(OkHttpClient client, @TestPrefix String prefix, @Leased("tenants") List<String> tenants) {
    fillEachTenant(client, prefix, tenants);
  }
}
