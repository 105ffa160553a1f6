/**
 * What a test-framework integration (such as {@code junit-integration}) needs beyond the public API: the
 * library's loggers ({@link io.ratelimit.core.spi.Logs}), marking which test a thread runs
 * ({@link io.ratelimit.core.spi.TestAttribution}) and validating the core's settings together with the
 * integration's own ({@link io.ratelimit.core.spi.CoreSettings}). Integrations use this package and the
 * public API only, never {@code io.ratelimit.core.internal}.
 */
package io.ratelimit.core.spi;
