/**
 * Internals of ratelimit-core; not a public API, may change at any time. Laid out by concern, in layers that
 * only use the ones below them (PackageRulesTest keeps it so): {@code waits}, {@code jvm}; {@code pacing},
 * {@code stats}, {@code leases}; {@code state} (the ports); the backends {@code local}, {@code rundir},
 * {@code cluster}; {@code retry}, {@code admission}; {@code lifecycle} (starting, failing over, ending). See
 * docs/architecture.md.
 */
package io.ratelimit.core.internal;
