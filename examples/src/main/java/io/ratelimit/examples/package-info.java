/** Runnable examples of ratelimit-testkit. */
package io.ratelimit.examples;
