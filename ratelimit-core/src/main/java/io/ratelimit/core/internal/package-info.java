/** Internals of ratelimit-core: limiter state, interceptors, counters. Not a public API; may change at any time. */
package io.ratelimit.core.internal;
