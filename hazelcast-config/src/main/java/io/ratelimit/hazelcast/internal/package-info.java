/** Internals of hazelcast-config: Hazelcast member and client configurations. Not a public API. */
package io.ratelimit.hazelcast.internal;
