/**
 * The run's state as ports, one per concern ({@link io.ratelimit.core.internal.state.LimiterState}: permits and
 * start slots, the run mode, records, leases), what they hand out (permits, admissions), the window of recent
 * attempts, the keeper of what outlives a cluster, and how a JVM's threads take turns on a shared permit.
 */
package io.ratelimit.core.internal.state;
