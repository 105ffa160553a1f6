/** Internals of the JUnit integration: session, gates, timeline and report. Not a public API. */
package io.ratelimit.junit.internal;
