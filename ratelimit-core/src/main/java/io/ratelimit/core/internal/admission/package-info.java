/**
 * A request's admission: the network interceptor (permit, start slot, fences, feedback, release), the body that
 * gives the permit back, the sequential switch, and the decorator that adds the limiter to a client.
 */
package io.ratelimit.core.internal.admission;
