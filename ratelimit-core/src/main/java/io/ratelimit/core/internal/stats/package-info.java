/**
 * Counting: this JVM's counters per API and per test, and their text form in shared state.
 */
package io.ratelimit.core.internal.stats;
