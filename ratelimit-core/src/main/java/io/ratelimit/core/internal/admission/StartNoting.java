package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.pacing.StartTimes;
import java.io.IOException;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Request;

/**
 * An event listener factory that notes in the run's {@link StartTimes} when each request of an API left: when
 * its headers are written, and when a small body is (OkHttp sends the two in one write, right after), and
 * again when those bytes reach the socket ({@link LeavingWrites}). A large body's headers leave while it is
 * written, and an API's limiter counts a request when its headers arrive, so its end is not noted. These
 * looks come after the admission interceptor's own, so a sender descheduled in between is seen late, as the
 * API sees it. Calls keep the listeners of the factory it wraps.
 */
final class StartNoting implements EventListener.Factory {
  /** A body this small leaves with its headers in one write once it is written (OkHttp buffers a segment, 8 KiB). */
  private static final long SMALL_BODY_BYTES = 4 * 1024;

  private final EventListener.Factory delegate;
  private final EventListener noting;
  private volatile boolean combines = true;

  private StartNoting(EventListener.Factory delegate, StartTimes starts, String api, LeavingWrites writes) {
    this.delegate = delegate;
    this.noting = new EventListener() {
      @Override
      public void requestHeadersEnd(Call call, Request request) {
        noteAndArm();
      }

      @Override
      public void requestBodyEnd(Call call, long byteCount) {
        if (byteCount <= SMALL_BODY_BYTES) { // the headers wait in OkHttp's buffer and leave with the body, now
          noteAndArm();
        }
      }

      @Override
      public void requestFailed(Call call, IOException ioe) {
        writes.disarm();
      }

      @Override
      public void responseHeadersStart(Call call) {
        writes.disarm();
      }

      @Override
      public void callFailed(Call call, IOException ioe) {
        writes.disarm();
      }

      /** Notes the start now, and again when the bytes reach the socket (a sender descheduled in between leaves late). */
      private void noteAndArm() {
        starts.started(api, StartSlots.epochNanosNow());
        writes.arm(starts, api);
      }
    };
  }

  /** {@code delegate}'s listeners, and the noting of each request's start in {@code starts} under {@code api}. */
  static EventListener.Factory around(EventListener.Factory delegate, StartTimes starts, String api, LeavingWrites writes) {
    return new StartNoting(delegate, starts, api, writes);
  }

  /** The factory a client had before a limiter wrapped it: {@code factory} without any noting of starts. */
  static EventListener.Factory without(EventListener.Factory factory) {
    return factory instanceof StartNoting noting ? noting.delegate : factory;
  }

  @Override
  public EventListener create(Call call) {
    EventListener theirs = delegate.create(call);
    if (theirs == EventListener.NONE) {
      return noting;
    }
    if (!combines) {
      return theirs;
    }
    try {
      return theirs.plus(noting);
    } catch (NoSuchMethodError before53) {
      // OkHttp before 5.3 cannot combine listeners: the client's own keeps every event, and this JVM's starts
      // go unnoted (the limits hold as before; only a late start is not passed on)
      combines = false;
      return theirs;
    }
  }
}
