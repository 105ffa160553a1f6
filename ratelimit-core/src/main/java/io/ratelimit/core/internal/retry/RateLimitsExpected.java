package io.ratelimit.core.internal.retry;

import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * Requests that expect 429s: a client's first interceptor tags each of its requests, and a request so tagged
 * that the limiter gives up on is not told to its test as throttled (the test keeps the raw response and its
 * own outcome). Limited and counted as any other.
 */
public final class RateLimitsExpected {
  /** The tag's value; its type is the tag's key. */
  private static final RateLimitsExpected TAG = new RateLimitsExpected();
  /** Runs before the limiter's own interceptors, so they see the tag. */
  private static final Interceptor MARKER = chain -> chain.proceed(chain.request().newBuilder().tag(RateLimitsExpected.class, TAG).build());

  private RateLimitsExpected() {}

  /** {@code client}, tagging each of its requests first. */
  public static OkHttpClient marking(OkHttpClient client) {
    if (client.interceptors().contains(MARKER)) {
      return client;
    }
    OkHttpClient.Builder builder = client.newBuilder();
    builder.interceptors().add(0, MARKER);
    return builder.build();
  }

  /** Whether {@code request} comes from such a client. */
  public static boolean of(Request request) {
    return request.tag(RateLimitsExpected.class) != null;
  }
}
