/**
 * The backend of a run of one JVM: everything in this JVM's memory.
 */
package io.ratelimit.core.internal.local;
