/** How the test JVMs form, join or connect to the Hazelcast cluster that holds the shared limiter state. */
package io.ratelimit.hazelcast;
