package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Injects a prefix, unique to this test invocation in the whole run, for naming the resources the test
 * creates so that workers never collide: {@code void test(@TestPrefix String prefix)} gets e.g.
 * {@code w2-k7f3q-createsAnItem-}.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(RateLimitExtension.class)
public @interface TestPrefix {}
