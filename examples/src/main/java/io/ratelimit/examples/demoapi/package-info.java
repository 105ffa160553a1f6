/**
 * A small demo API that enforces a real quota, as rate-limited production APIs do: a cap on requests per
 * second, a cap on requests in flight, 429 with {@code Retry-After} when pushed, and about 100 ms of
 * latency per request. The example suite starts it on a free loopback port.
 */
package io.ratelimit.examples.demoapi;
