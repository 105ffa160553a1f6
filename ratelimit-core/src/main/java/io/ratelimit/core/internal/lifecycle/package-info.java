/**
 * A worker's life: how it starts ({@link io.ratelimit.core.internal.lifecycle.Startup}: which state its mode
 * gives it, joining or forming the run's cluster before the first request), the ready worker it hands the
 * public front ({@link io.ratelimit.core.internal.lifecycle.Worker}), failing over when the cluster is lost or
 * this JVM was frozen ({@link io.ratelimit.core.internal.lifecycle.FailoverLimiterState}), refusing when no
 * cluster can be had ({@link io.ratelimit.core.internal.lifecycle.RefusingLimiterState}), and ending with its
 * program (the shutdown hook and {@link io.ratelimit.core.internal.lifecycle.ExitWatcher}). Nothing outside
 * this package starts, joins or leaves a cluster.
 */
package io.ratelimit.core.internal.lifecycle;
