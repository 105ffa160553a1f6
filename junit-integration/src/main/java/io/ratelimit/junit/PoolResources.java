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
 * The test (or each test of the class) needs {@link #count()} resources of a pool to itself; it receives
 * their names through a {@link Leased @Leased("pool") List<String>} parameter. When fewer are free within
 * {@code PYTEST_POOL_WAIT} (30 s), the test is skipped (aborted, as by a failed assumption) with a message
 * saying how many were free and who held the rest. The items come from {@code PYTEST_RESOURCE_POOLS}
 * (e.g. {@code repos=repo-1..repo-10}), else from {@link #items()}. Works alone: it turns
 * {@link RateLimitExtension} on by itself.
 *
 * <pre>
 * &#64;Test
 * &#64;PoolResources(pool = "repos", count = 2, items = "repo-1..repo-10")
 * void mirrorsOneRepoIntoAnother(&#64;Leased("repos") List&lt;String&gt; repos) { ... }
 * </pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RateLimitExtension.class)
@Repeatable(PoolResources.List.class)
public @interface PoolResources {

  /** The pool's name. */
  String pool();

  /** How many of its resources the test needs at once. */
  int count() default 1;

  /**
   * The pool's items when {@code PYTEST_RESOURCE_POOLS} does not declare it: names separated by commas,
   * {@code repo-1..repo-10} for a numbered range. Empty: the pool must be declared elsewhere.
   */
  String items() default "";

  /** Holds several {@link PoolResources} annotations. */
  @Target({ElementType.TYPE, ElementType.METHOD})
  @Retention(RetentionPolicy.RUNTIME)
  @Documented
  @Inherited
  @ExtendWith(RateLimitExtension.class)
  @interface List {
    PoolResources[] value();
  }
}
