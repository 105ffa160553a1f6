package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Listing one owner's items: the prefix is the owner, so lists stay exact under parallel runs. */
@RateLimitedApiTest
@Tag("live")
class ItemsListTest {
  @Test
  void listsOnlyTheOwnersItems1(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 1; i++) {
      assertEquals(201, items.create(prefix + "widget-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(1, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems2(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 2; i++) {
      assertEquals(201, items.create(prefix + "gadget-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(2, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems3(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 3; i++) {
      assertEquals(201, items.create(prefix + "sprocket-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(3, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems4(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 1; i++) {
      assertEquals(201, items.create(prefix + "gizmo-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(1, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems5(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 2; i++) {
      assertEquals(201, items.create(prefix + "doohickey-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(2, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems6(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 3; i++) {
      assertEquals(201, items.create(prefix + "thingamajig-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(3, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems7(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 1; i++) {
      assertEquals(201, items.create(prefix + "contraption-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(1, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems8(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 2; i++) {
      assertEquals(201, items.create(prefix + "device-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(2, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems9(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 3; i++) {
      assertEquals(201, items.create(prefix + "apparatus-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(3, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

  @Test
  void listsOnlyTheOwnersItems10(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    for (int i = 0; i < 1; i++) {
      assertEquals(201, items.create(prefix + "mechanism-" + i, prefix).status());
    }
    Items.Reply listed = items.listOwnedBy(prefix);
    assertEquals(200, listed.status(), listed.toString());
    assertEquals(1, listed.body().size(), "other workers' items never show up under this test's prefix");
  }

}
