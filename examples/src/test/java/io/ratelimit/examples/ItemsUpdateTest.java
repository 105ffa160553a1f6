package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Renaming items: optimistic versions go up by one. */
@RateLimitedApiTest
@Tag("integration")
class ItemsUpdateTest {
  @Test
  void renamesWidget(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "widget", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "widget-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "widget-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesGadget(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "gadget", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "gadget-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "gadget-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesSprocket(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "sprocket", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "sprocket-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "sprocket-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesGizmo(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "gizmo", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "gizmo-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "gizmo-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesDoohickey(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "doohickey", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "doohickey-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "doohickey-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesThingamajig(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "thingamajig", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "thingamajig-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "thingamajig-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesContraption(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "contraption", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "contraption-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "contraption-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesDevice(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "device", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "device-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "device-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesApparatus(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "apparatus", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "apparatus-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "apparatus-v2", items.get(id).body().get("name").asText());
  }

  @Test
  void renamesMechanism(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "mechanism", prefix).body().get("id").asLong();
    Items.Reply renamed = items.rename(id, prefix + "mechanism-v2");
    assertEquals(200, renamed.status(), renamed.toString());
    assertEquals(2, renamed.body().get("version").asInt());
    assertEquals(prefix + "mechanism-v2", items.get(id).body().get("name").asText());
  }

}
