package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test (or every test of a class) that must run alone across the whole run: it starts only when
 * no other test the extension runs (any test whose class or method bears one of this package's annotations)
 * runs on any worker, and none starts while it runs. Works alone: it turns {@link RateLimitExtension} on by itself.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RateLimitExtension.class)
public @interface RunAlone {}
