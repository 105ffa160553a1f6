/**
 * The limiter state of the JVMs of one run on one machine kept in the run directory, under its file
 * lock: exact across processes, ready at once, and the state a run keeps when no cluster can form.
 */
package io.ratelimit.core.internal.rundir;
