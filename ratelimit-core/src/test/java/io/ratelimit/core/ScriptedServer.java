package io.ratelimit.core;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;

/** mockwebserver3 on loopback answering a script of responses in order, stamping each arrival. */
final class ScriptedServer implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();
  private final QueueDispatcher script = new QueueDispatcher();
  private final List<Long> arrivals = new CopyOnWriteArrayList<>();
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();

  ScriptedServer() throws IOException {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        arrivals.add(System.nanoTime());
        requests.add(request);
        return script.dispatch(request);
      }
    });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  ScriptedServer then(int code, String... headers) {
    MockResponse.Builder response = new MockResponse.Builder().code(code).body("status " + code);
    for (int i = 0; i < headers.length; i += 2) {
      response.addHeader(headers[i], headers[i + 1]);
    }
    script.enqueue(response.build());
    return this;
  }

  ScriptedServer then(MockResponse response) {
    script.enqueue(response);
    return this;
  }

  HttpUrl url(String path) {
    return server.url(path);
  }

  /** Requests the server received. */
  int received() {
    return requests.size();
  }

  List<RecordedRequest> requests() {
    return requests;
  }

  /** Milliseconds between arrival {@code i - 1} and arrival {@code i}. */
  long gapMillis(int i) {
    return (arrivals.get(i) - arrivals.get(i - 1)) / 1_000_000;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
