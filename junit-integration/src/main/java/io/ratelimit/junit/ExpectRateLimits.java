package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test (or every test of a class) that provokes 429s on purpose and asserts on them: it keeps the raw
 * last response when the limiter gives up on a request, and ends as its own body says. On an
 * {@code OkHttpClient} parameter it marks that client alone: its requests keep their raw responses, while the
 * test's other clients' throttled requests still end it "throttled". Without it, such a
 * test ends "throttled" ({@link io.ratelimit.core.RateLimitExhaustedException}, or aborted with
 * {@code PYTEST_THROTTLED_TESTS=abort}), whatever its body did with the response, so that the report and CI
 * tell a throttled test from a broken one. Its requests are counted as any others. Works alone: it turns
 * {@link RateLimitExtension} on by itself.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RateLimitExtension.class)
public @interface ExpectRateLimits {}
