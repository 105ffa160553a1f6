package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test (or each test of the class) runs only while it holds the run-wide lease on the named resource:
 * tests of other workers that name it wait, up to {@code PYTEST_LEASE_WAIT} (300 s); a longer wait fails
 * the test with the holder's name. Long waits are logged with the holder. The lease ends with the test,
 * whatever its outcome. Several resources are taken in name order, so two tests never wait for each other.
 * Works alone: it turns {@link RateLimitExtension} on by itself, as JUnit's composed annotations do. A JUnit
 * {@code @ResourceLock} of the same name is the same lease (see {@link RateLimitExtension}).
 *
 * <pre>
 * &#64;Test
 * &#64;ExclusiveResource("billing-account")
 * void changesThePlan(OkHttpClient client) { ... }
 * </pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RateLimitExtension.class)
@Repeatable(ExclusiveResource.List.class)
public @interface ExclusiveResource {

  /** The resource's name: 1 to 128 letters, digits or {@code . _ : @ / -}. */
  String value();

  /** Holds several {@link ExclusiveResource} annotations. */
  @Target({ElementType.TYPE, ElementType.METHOD})
  @Retention(RetentionPolicy.RUNTIME)
  @Documented
  @Inherited
  @ExtendWith(RateLimitExtension.class)
  @interface List {
    ExclusiveResource[] value();
  }
}
