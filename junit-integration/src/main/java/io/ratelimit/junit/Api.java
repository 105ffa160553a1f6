package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Selects a named API for an injected {@code OkHttpClient}: its limits come from
 * {@code ratelimit.api.<name>.*} / {@code PYTEST_API_<NAME>_*}, falling back to the global settings, and
 * its counters are kept under that name. {@code void test(@Api("billing") OkHttpClient billing)}.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Api {
  /** The API's name: lower-case letters, digits and dashes. */
  String value();
}
