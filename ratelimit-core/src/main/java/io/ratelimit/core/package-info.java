/**
 * Rate-limited OkHttp clients for API test suites: {@link io.ratelimit.core.RateLimitConfig} (what the
 * limits are), {@link io.ratelimit.core.RateLimitedClients} (clients that keep to them) and
 * {@link io.ratelimit.core.RateLimitStats} (what the limiter did).
 */
package io.ratelimit.core;
