/**
 * What a JVM has one of ({@link io.ratelimit.core.internal.jvm.Jvm}) and the fences a request passes: the
 * freeze detector, the gate that stops requests when the worker stops, and the warm-up of OkHttp's request path.
 */
package io.ratelimit.core.internal.jvm;
