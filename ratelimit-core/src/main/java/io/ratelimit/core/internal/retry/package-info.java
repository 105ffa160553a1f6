/**
 * Retries: the interceptor that retries a refused attempt as resilience4j decides, and how long it waits
 * (Retry-After, else backoff with jitter).
 */
package io.ratelimit.core.internal.retry;
