package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Selects a named API for an injected {@code OkHttpClient}: its limits come from
 * {@code ratelimit.api.<name>.*} / {@code PYTEST_API_<NAME>_*}, falling back to the global settings, and
 * its counters are kept under that name. {@code void test(@Api("billing") OkHttpClient billing)}. Works alone:
 * it turns {@link RateLimitExtension} on by itself.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(RateLimitExtension.class)
public @interface Api {
  /**
   * The API's name: lower-case letters, digits and dashes. Without one, the default API: {@code @Api
   * OkHttpClient client} is the plain injected client, on a class with no other annotation.
   */
  String value() default io.ratelimit.core.RateLimitConfig.DEFAULT_API;
}
