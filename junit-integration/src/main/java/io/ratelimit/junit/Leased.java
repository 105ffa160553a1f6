package io.ratelimit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On a {@code List<String>} parameter: the names of the resources this test holds from the pool (see
 * {@link PoolResources}), or the resource's own name for an {@link ExclusiveResource}.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(RateLimitExtension.class)
public @interface Leased {

  /** The pool's (or exclusive resource's) name. */
  String value();
}
