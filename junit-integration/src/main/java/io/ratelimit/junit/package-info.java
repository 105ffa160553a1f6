/**
 * The JUnit Jupiter side of ratelimit-testkit: {@link io.ratelimit.junit.RateLimitedApiTest} turns it on;
 * tests take rate-limited clients and runtime facts as parameters; the run ends with a stats report.
 */
package io.ratelimit.junit;
