package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.jvm.Jvm;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.spi.Logs;
import java.io.IOException;
import java.lang.ref.Cleaner;
import okhttp3.MediaType;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.jetbrains.annotations.NotNull;
import org.slf4j.Logger;

/**
 * A response body that gives its attempt's permit back when it is fully read or closed. A body the test
 * never closes gives it back when garbage-collected, with a warning, so a leak cannot strand permits.
 */
final class PermitReleasingBody extends ResponseBody {
  private static final Logger LOG = Logs.get(PermitReleasingBody.class);

  private final ResponseBody delegate;
  private final BufferedSource source;

  private PermitReleasingBody(ResponseBody delegate, Permit permit, String url) {
    this.delegate = delegate;
    ReleasingSource releasing = new ReleasingSource(delegate.source(), permit);
    Jvm.one(Cleaner.class, Cleaner::create).register(releasing, new LeakedPermit(permit, url)); // one cleaner thread a JVM
    this.source = Okio.buffer(releasing);
  }

  /** {@code response} with a body that releases {@code permit}; released at once when there is nothing to read. */
  static Response attach(Response response, Permit permit) {
    if (permit == Permit.NONE) {
      return response;
    }
    ResponseBody body = response.body();
    if (body.contentLength() == 0) {
      permit.releaseWithoutWaiting();
      return response;
    }
    return response.newBuilder().body(new PermitReleasingBody(body, permit, response.request().url().redact())).build();
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public @NotNull BufferedSource source() {
    return source;
  }

  private static final class ReleasingSource extends ForwardingSource {
    private final Permit permit;

    ReleasingSource(okio.Source delegate, Permit permit) {
      super(delegate);
      this.permit = permit;
    }

    @Override
    public long read(@NotNull Buffer sink, long byteCount) throws IOException {
      try {
        long read = super.read(sink, byteCount);
        if (read == -1) {
          permit.releaseWithoutWaiting();
        }
        return read;
      } catch (IOException | RuntimeException e) {
        permit.releaseWithoutWaiting();
        throw e;
      }
    }

    @Override
    public void close() throws IOException {
      permit.releaseWithoutWaiting();
      super.close();
    }
  }

  /** Runs when a body was dropped unclosed; must not refer to the body. */
  private static final class LeakedPermit implements Runnable {
    private final Permit permit;
    private final String url;

    LeakedPermit(Permit permit, String url) {
      this.permit = permit;
      this.url = url;
    }

    @Override
    public void run() {
      // releasing is idempotent: after a normal close this does nothing and logs nothing
      if (permit.releaseWithoutWaiting()) {
        LOG.warn("ratelimit-testkit: a response body from {} was never closed; its permit was reclaimed", url);
      }
    }
  }
}
