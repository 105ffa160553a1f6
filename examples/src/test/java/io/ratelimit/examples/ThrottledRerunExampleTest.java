package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.ratelimit.junit.RateLimitedApiTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throttled, then passed on Surefire's re-run. The API here refuses its first {@value #REFUSED} requests
 * (each 429 with {@code Retry-After: 1}, as a spent quota would): the request and its 3 retries (the default
 * {@code PYTEST_MAX_RETRIES}) are all refused, so the test ends throttled
 * ({@code RateLimitExhaustedException}), not failed on its assertion. Surefire runs it again in the same
 * fork; its first request waits out the API's pause, is answered, and the report's verdict is "throttled,
 * passed on re-run". Tagged {@code rerun} and left out of the main suite; run it with
 * {@code mvn -B -pl examples verify -Dexamples.excludedGroups=none -Dgroups=rerun -Dsurefire.rerunFailingTestsCount=1}.
 */
@RateLimitedApiTest
@Tag("rerun")
class ThrottledRerunExampleTest {
  private static final int REFUSED = 4;
  /** One per fork: Surefire re-runs a failed test in the fork that ran it, where this server still counts. */
  private static final HttpServer API = refusingItsFirstRequests();

  private static HttpServer refusingItsFirstRequests() {
    AtomicInteger received = new AtomicInteger();
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/account", exchange -> {
        boolean refused = received.incrementAndGet() <= REFUSED;
        if (refused) {
          exchange.getResponseHeaders().add("Retry-After", "1");
        }
        byte[] body = (refused ? "slow down" : "{\"plan\":\"free\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(refused ? 429 : 200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void readsTheAccount(OkHttpClient client) throws IOException {
    String url = "http://127.0.0.1:" + API.getAddress().getPort() + "/account";
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      assertEquals(200, response.code(), "the account is readable");
    }
  }
}
