package io.ratelimit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratelimit.core.RateLimitExhaustedException;
import io.ratelimit.junit.internal.RateLimitSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * A test whose request the limiter gave up on ends "throttled" (run by JUnit itself, EngineTestKit, against
 * a loopback server that answers 429 to a window of requests), whatever its body made of the response; one
 * marked {@link ExpectRateLimits} keeps the raw response and its own outcome; {@code PYTEST_THROTTLED_TESTS}
 * aborts instead of failing; the report gives each test its verdict.
 */
class ThrottledTestExtensionTest {
  static TestApi api;

  @TempDir
  Path reports;

  @AfterEach
  void stop() throws IOException {
    RateLimitSession.finishCurrent();
    if (api != null) {
      api.close();
      api = null;
    }
  }

  private Events run(Map<String, String> parameters, org.junit.platform.engine.DiscoverySelector... selectors) {
    Map<String, String> all = new HashMap<>(parameters);
    all.put("ratelimit.cluster-mode", "local");
    all.put("ratelimit.stats-report", reports.toString());
    all.put("ratelimit.rate-limit-delay", "0");
    all.put("ratelimit.adaptive-delay", "false");
    all.put("ratelimit.max-retries", "1"); // two attempts a request
    return EngineTestKit.engine("junit-jupiter").configurationParameters(all).selectors(selectors).execute().testEvents();
  }

  private static Throwable cause(Events events, String test) {
    Event finished = events.finished().filter(e -> e.getTestDescriptor().getDisplayName().startsWith(test)).findFirst().orElseThrow();
    return finished.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElse(null);
  }

  private JsonNode report() throws IOException {
    RateLimitSession.finishCurrent();
    return new ObjectMapper().readTree(reports.resolve("ratelimit-report.json").toFile());
  }

  @RateLimitedApiTest
  static class Fixture {
    @Test
    void swallowsIt(OkHttpClient client) {
      RateLimitExtensionTest.get(client, "/x"); // the 429 is ignored: the test would pass
    }

    @Test
    void assertsOnIt(OkHttpClient client) {
      assertEquals(200, RateLimitExtensionTest.get(client, "/x")); // would read as a regression
    }

    @Test
    @ExpectRateLimits
    void expectsIt(OkHttpClient client) {
      assertEquals(429, RateLimitExtensionTest.get(client, "/x"));
    }

    @Test
    void expectsItOfOneClient(@ExpectRateLimits OkHttpClient client) {
      assertEquals(429, RateLimitExtensionTest.get(client, "/x"));
    }
  }

  @RateLimitedApiTest
  static class Fine {
    @Test
    void fine(OkHttpClient client) {
      assertEquals(200, RateLimitExtensionTest.get(client, "/x"));
    }
  }

  @Test
  void aThrottledTestEndsWithRateLimitExhaustedExceptionWhateverItsBodyDid() throws IOException {
    RateLimitExtensionTest.api = api = new TestApi(0, 8); // every request of the four tests is refused twice
    Events events = run(Map.of(), selectClass(Fixture.class));
    events.assertStatistics(s -> s.succeeded(2).failed(2).aborted(0));

    RateLimitExhaustedException swallowed = assertInstanceOf(RateLimitExhaustedException.class, cause(events, "swallowsIt"));
    assertEquals("default", swallowed.api());
    assertEquals(2, swallowed.attempts());
    assertEquals(429, swallowed.lastStatus());
    assertEquals(java.util.Optional.of(java.time.Duration.ZERO), swallowed.lastRetryAfter());
    assertEquals(0, swallowed.getSuppressed().length, "the body did not fail");
    RateLimitExhaustedException asserted = assertInstanceOf(RateLimitExhaustedException.class, cause(events, "assertsOnIt"));
    assertEquals(1, asserted.getSuppressed().length);
    assertInstanceOf(AssertionFailedError.class, asserted.getSuppressed()[0], "the body's own failure is kept, as suppressed");
    assertEquals(null, cause(events, "expectsIt("), "@ExpectRateLimits: the raw 429, and the test's own outcome");
    assertEquals(null, cause(events, "expectsItOfOneClient"), "@ExpectRateLimits on the client: the same for its requests");

    JsonNode report = report();
    assertEquals(2, report.get("totals").get("throttled").asInt(), report.get("totals").toString());
    assertEquals(4, report.get("totals").get("exhausted").asInt(), "the expected ones are counted as exhausted too");
    JsonNode tests = report.get("tests");
    assertEquals("throttled", tests.get("Fixture#swallowsIt").get("verdict").asText(), tests.toString());
    assertEquals("throttled", tests.get("Fixture#assertsOnIt").get("verdict").asText());
    assertEquals("passed", tests.get("Fixture#expectsIt").get("verdict").asText());
    assertEquals("passed", tests.get("Fixture#expectsItOfOneClient").get("verdict").asText());
    assertEquals(1, tests.get("Fixture#swallowsIt").get("throttled").asInt());
    assertEquals(Map.of("passed", 2, "throttled", 2), Map.of("passed", report.get("verdicts").get("passed").asInt(), "throttled",
        report.get("verdicts").get("throttled").asInt()));
  }

  @Test
  void withAbortTheThrottledTestIsAbortedWithTheReason() throws IOException {
    RateLimitExtensionTest.api = api = new TestApi(0, 2);
    Events events = run(Map.of("ratelimit.throttled-tests", "abort"), selectMethod(Fixture.class, "assertsOnIt",
        OkHttpClient.class.getName()), selectClass(Fine.class));
    events.assertStatistics(s -> s.succeeded(1).failed(0).aborted(1));
    Throwable aborted = assertInstanceOf(TestAbortedException.class, cause(events, "assertsOnIt"));
    assertInstanceOf(RateLimitExhaustedException.class, aborted.getCause());
    assertTrue(aborted.getMessage().startsWith("throttled, not broken: GET http://"), aborted.getMessage());

    JsonNode report = report();
    assertEquals(1, report.get("totals").get("throttled").asInt());
    assertEquals("throttled", report.get("tests").get("Fixture#assertsOnIt").get("verdict").asText());
    assertEquals("passed", report.get("tests").get("Fine#fine").get("verdict").asText());
  }

  @Test
  void aBadValueNamesTheVariableTheValueAndWhatIsAccepted() {
    Events events = run(Map.of("ratelimit.throttled-tests", "skip"), selectClass(Fine.class));
    Throwable bad = assertInstanceOf(ExtensionConfigurationException.class, cause(events, "fine"));
    assertTrue(bad.getMessage().contains("PYTEST_THROTTLED_TESTS") && bad.getMessage().contains("skip")
        && bad.getMessage().contains("fail, abort"), bad.getMessage());
  }
}
