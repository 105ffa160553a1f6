package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Creating items: each test names its item with its unique prefix, so workers never collide. */
@RateLimitedApiTest
@Tag("e2e")
class ItemsCreateTest {
  @Test
  void createsWidget(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "widget", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "widget", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsGadget(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "gadget", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "gadget", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsSprocket(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "sprocket", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "sprocket", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsGizmo(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "gizmo", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "gizmo", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsDoohickey(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "doohickey", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "doohickey", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsThingamajig(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "thingamajig", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "thingamajig", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsContraption(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "contraption", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "contraption", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsDevice(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "device", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "device", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsApparatus(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "apparatus", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "apparatus", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

  @Test
  void createsMechanism(OkHttpClient client, @TestPrefix String prefix) {
    Items.Reply created = new Items(client).create(prefix + "mechanism", prefix);
    assertEquals(201, created.status(), created.toString());
    assertEquals(prefix + "mechanism", created.body().get("name").asText());
    assertEquals(1, created.body().get("version").asInt());
    assertTrue(created.body().get("id").asLong() > 0);
  }

}
