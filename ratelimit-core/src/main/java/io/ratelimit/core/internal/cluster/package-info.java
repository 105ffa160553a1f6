/**
 * The limiter state shared by all workers through Hazelcast: IMap entries changed only by entry
 * processors, which run atomically on the partition owner and are backed up to another member.
 * Everything that crosses the wire is a String, a Long or an {@code IdentifiedDataSerializable} of
 * this package: never Java serialization.
 */
package io.ratelimit.core.internal.cluster;
