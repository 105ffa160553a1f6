package io.ratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A user's suite at the API's published rate, for {@code benchmarks/published-rate-suite.sh}: four classes of
 * {@value #TESTS_PER_CLASS} tests, each test exactly {@value #REQUESTS_PER_TEST} requests through the injected
 * client, so Surefire's 4 forks get a class each and the whole suite sends 200 requests. The harness points
 * them (with {@code DEMO_API_URL}) at nginx {@code limit_req} 20r/s in front of the demo API, and sets
 * {@code PYTEST_RATE_LIMIT_DELAY} to exactly 1 / 20 s: the quota bound is 200 / 20 = 10 s.
 *
 * <p>Tagged {@value #TAG} and left out of the example build ({@code examples.excludedGroups}); run them with
 * {@code -Dexamples.excludedGroups=none -Dgroups=published-rate}. Without {@code DEMO_API_URL} they test the
 * demo API directly, whose own quota (40/s) does not bind at this rate.
 */
abstract class PublishedRateSuite {
  /** The JUnit tag of these classes. */
  static final String TAG = "published-rate";
  /** Tests per class (a {@code @RepeatedTest} each). */
  static final int TESTS_PER_CLASS = 10;
  /** Requests each test sends. */
  static final int REQUESTS_PER_TEST = 5;

  /** Fails unless the reply has {@code status}, with the reply in the message (a 429 after the retries shows here). */
  static Items.Reply expect(int status, Items.Reply reply) {
    assertEquals(status, reply.status(), reply::toString);
    return reply;
  }
}
