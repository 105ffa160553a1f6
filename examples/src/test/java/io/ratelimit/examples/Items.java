package io.ratelimit.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** A tiny typed client of the demo API's items, on top of whichever OkHttpClient a test was given. */
final class Items {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType APPLICATION_JSON = MediaType.get("application/json");

  /** A response's status and JSON body. */
  record Reply(int status, JsonNode body) {}

  private final OkHttpClient client;
  private final String baseUrl;

  Items(OkHttpClient client) {
    this(client, DemoApiHost.baseUrl());
  }

  Items(OkHttpClient client, String baseUrl) {
    this.client = client;
    this.baseUrl = baseUrl;
  }

  Reply create(String name, String owner) {
    return call(new Request.Builder().url(baseUrl + "/items")
        .post(RequestBody.create(JSON.createObjectNode().put("name", name).put("owner", owner).toString(), APPLICATION_JSON)).build());
  }

  Reply get(long id) {
    return call(new Request.Builder().url(baseUrl + "/items/" + id).build());
  }

  Reply rename(long id, String name) {
    return call(new Request.Builder().url(baseUrl + "/items/" + id)
        .put(RequestBody.create(JSON.createObjectNode().put("name", name).toString(), APPLICATION_JSON)).build());
  }

  Reply delete(long id) {
    return call(new Request.Builder().url(baseUrl + "/items/" + id).delete().build());
  }

  /** Deletes every item of {@code owner}; returns how many. */
  int deleteAllOwnedBy(String owner) {
    int deleted = 0;
    for (JsonNode item : listOwnedBy(owner).body()) {
      if (delete(item.get("id").asLong()).status() == 204) {
        deleted++;
      }
    }
    return deleted;
  }

  Reply listOwnedBy(String owner) {
    return call(new Request.Builder().url(baseUrl + "/items?owner=" + owner).build());
  }

  private Reply call(Request request) {
    try (Response response = client.newCall(request).execute()) {
      String body = response.body().string();
      return new Reply(response.code(), body.isEmpty() ? JSON.nullNode() : JSON.readTree(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
