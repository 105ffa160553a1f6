/**
 * Waiting, bounded: sleeps a cancelled call ends ({@link io.ratelimit.core.internal.waits.Waits}), the condition a
 * wait checks, and a signal that wakes waiters when something changes. The bottom layer: it uses nothing else.
 */
package io.ratelimit.core.internal.waits;
