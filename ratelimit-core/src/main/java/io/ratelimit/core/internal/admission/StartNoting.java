package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.pacing.StartTimes;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Request;

/**
 * An event listener factory that notes in the run's {@link StartTimes} when each request of an API left: when
 * its headers are written, the last look at the clock before its bytes go (a small body follows at once; an
 * API's limiter counts a request when its headers arrive). That is later than the admission interceptor's own
 * look, so a sender descheduled between the two is seen late, as the API sees it. Calls keep the listeners of
 * the factory it wraps.
 */
final class StartNoting implements EventListener.Factory {
  private final EventListener.Factory delegate;
  private final EventListener noting;

  private StartNoting(EventListener.Factory delegate, StartTimes starts, String api) {
    this.delegate = delegate;
    this.noting = new EventListener() {
      @Override
      public void requestHeadersEnd(Call call, Request request) {
        starts.started(api, StartSlots.epochNanosNow());
      }
    };
  }

  /** {@code delegate}'s listeners, and the noting of each request's start in {@code starts} under {@code api}. */
  static EventListener.Factory around(EventListener.Factory delegate, StartTimes starts, String api) {
    return new StartNoting(delegate, starts, api);
  }

  /** The factory a client had before a limiter wrapped it: {@code factory} without any noting of starts. */
  static EventListener.Factory without(EventListener.Factory factory) {
    return factory instanceof StartNoting noting ? noting.delegate : factory;
  }

  @Override
  public EventListener create(Call call) {
    return delegate.create(call).plus(noting);
  }
}
