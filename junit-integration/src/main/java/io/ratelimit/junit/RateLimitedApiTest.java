package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Turns ratelimit-testkit on for a test class: its tests and lifecycle methods can take a rate-limited
 * {@code OkHttpClient}, {@link io.ratelimit.core.RateLimitStats}, {@link WorkerInfo} and a
 * {@link TestPrefix} as parameters; they start only when the run's mode and category caps allow; and the
 * run ends with the stats report. The same as {@code @ExtendWith(RateLimitExtension.class)}.
 *
 * <pre>{@code
 * @RateLimitedApiTest
 * class ItemsApiTest {
 *   @Test
 *   void createsAnItem(OkHttpClient client, @TestPrefix String prefix) { ... }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RateLimitExtension.class)
public @interface RateLimitedApiTest {}
