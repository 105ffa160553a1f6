/**
 * When a request may start: an API's limits ({@link io.ratelimit.core.internal.pacing.ApiLimits}), its pacing
 * (the spacing, what refusals and rate-limit headers teach, pauses), start slots, and the header parser.
 */
package io.ratelimit.core.internal.pacing;
