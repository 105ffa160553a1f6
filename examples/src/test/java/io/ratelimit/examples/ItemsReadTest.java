package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.junit.RateLimitedApiTest;
import io.ratelimit.junit.TestPrefix;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Reading items back. */
@RateLimitedApiTest
@Tag("e2e")
class ItemsReadTest {
  @Test
  void readsWidgetBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "widget", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "widget", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsGadgetBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "gadget", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "gadget", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsSprocketBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "sprocket", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "sprocket", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsGizmoBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "gizmo", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "gizmo", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsDoohickeyBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "doohickey", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "doohickey", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsThingamajigBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "thingamajig", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "thingamajig", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsContraptionBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "contraption", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "contraption", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsDeviceBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "device", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "device", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void readsApparatusBack(OkHttpClient client, @TestPrefix String prefix) {
    Items items = new Items(client);
    long id = items.create(prefix + "apparatus", prefix).body().get("id").asLong();
    Items.Reply read = items.get(id);
    assertEquals(200, read.status(), read.toString());
    assertEquals(prefix + "apparatus", read.body().get("name").asText());
    assertEquals(prefix, read.body().get("owner").asText());
  }

  @Test
  void anUnknownItemIsNotFound(OkHttpClient client) {
    assertEquals(404, new Items(client).get(Long.MAX_VALUE / 2).status());
  }

}
