package io.ratelimit.core.internal.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.pacing.StartTimes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.SocketFactory;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A request's start is noted again when its bytes reach the socket: real sockets on loopback, and a real
 * OkHttp call to a loopback server whose sender is held after OkHttp's last event and before its write, as a
 * sender descheduled there would be.
 */
class LeavingWritesTest {
  private static final long HELD_NANOS = TimeUnit.MILLISECONDS.toNanos(30);

  private final StartTimes starts = StartTimes.inThisJvm();
  private final LeavingWrites writes = new LeavingWrites();

  @AfterEach
  void disarm() {
    writes.disarm();
  }

  @Test
  void anArmedThreadsFirstWriteNotesTheStartAfterItsBytesAreOnTheSocketAndLaterWritesNoteNothing() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket socket = writes.around(SocketFactory.getDefault()).createSocket();
        OutputStream out = connect(socket, server)) {
      out.write('x'); // unarmed: nothing noted
      assertEquals(0, starts.latest("api"));
      writes.arm(starts, "api");
      long armed = StartSlots.epochNanosNow();
      out.write(new byte[] {'G', 'E', 'T'}, 0, 3);
      long noted = starts.latest("api");
      assertTrue(noted >= armed, "noted after it was armed and wrote");
      out.write('y'); // disarmed by the write that noted
      assertEquals(noted, starts.latest("api"));
    }
  }

  @Test
  void aWriteOnAnotherThreadNotesNothing() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket socket = writes.around(SocketFactory.getDefault()).createSocket(server.getInetAddress(), server.getLocalPort());
        OutputStream out = socket.getOutputStream()) {
      writes.arm(starts, "api");
      Thread writer = new Thread(() -> {
        try {
          out.write('x');
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      writer.start();
      writer.join(TimeUnit.SECONDS.toMillis(10));
      assertEquals(0, starts.latest("api"), "armed for this thread's call, not the other's");
      out.write('y'); // the factory's connected socket notes too, on the armed thread
      assertTrue(starts.latest("api") > 0);
    }
  }

  @Test
  void onlyThePlatformsDefaultFactoryIsWrappedAndWrappingTwiceWrapsOnce() {
    SocketFactory own = new SocketFactory() {
      @Override
      public Socket createSocket() {
        return new Socket();
      }

      @Override
      public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException();
      }
    };
    assertSame(own, writes.around(own), "a client's own factory is kept");
    SocketFactory noting = writes.around(SocketFactory.getDefault());
    assertSame(noting, writes.around(LeavingWrites.without(noting)));
    assertSame(SocketFactory.getDefault().getClass(), LeavingWrites.without(noting).getClass());
  }

  @Test
  void aSenderHeldAfterOkHttpsLastEventIsNotedWhenItsRequestLeaves() throws IOException {
    try (MockWebServer server = new MockWebServer()) {
      server.start(InetAddress.getLoopbackAddress(), 0);
      assertNotedWhenItLeaves(server, new OkHttpClient.Builder());
    }
  }

  @Test
  void overTlsTooTheStartIsNotedWhenItsRecordLeaves() throws IOException {
    HeldCertificate certificate = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
    HandshakeCertificates serverSide = new HandshakeCertificates.Builder().heldCertificate(certificate).build();
    HandshakeCertificates clientSide = new HandshakeCertificates.Builder().addTrustedCertificate(certificate.certificate()).build();
    try (MockWebServer server = new MockWebServer()) {
      server.useHttps(serverSide.sslSocketFactory());
      server.start(InetAddress.getLoopbackAddress(), 0);
      assertNotedWhenItLeaves(server, new OkHttpClient.Builder()
          .sslSocketFactory(clientSide.sslSocketFactory(), clientSide.trustManager())
          .hostnameVerifier((host, session) -> true) // the server is reached by address; its certificate names localhost
          .protocols(List.of(Protocol.HTTP_1_1))); // HTTP/2 writes a GET's headers before its event, where they are noted
    }
  }

  /** Sends one request whose sender is held after OkHttp's last event before the write, then checks the note. */
  private void assertNotedWhenItLeaves(MockWebServer server, OkHttpClient.Builder builder) throws IOException {
    AtomicLong lastEvent = new AtomicLong();
    EventListener held = new EventListener() {
      @Override
      public void requestHeadersEnd(Call call, Request request) {
        lastEvent.set(StartSlots.epochNanosNow());
        while (StartSlots.epochNanosNow() - lastEvent.get() < HELD_NANOS) { // descheduled after the noting, before the write
          LockSupport.parkNanos(HELD_NANOS / 10);
        }
      }
    };
    EventListener.Factory noting = StartNoting.around(call -> EventListener.NONE, starts, "api", writes);
    server.enqueue(new MockResponse.Builder().body("ok").build());
    OkHttpClient client = builder
        .socketFactory(writes.around(SocketFactory.getDefault()))
        .eventListenerFactory(call -> noting.create(call).plus(held))
        .build();
    try (Response response = client.newCall(new Request.Builder().url(server.url("/")).build()).execute()) {
      assertEquals(200, response.code());
    }
    assertTrue(starts.latest("api") - lastEvent.get() >= HELD_NANOS,
        "noted when the bytes left, after the hold, not at OkHttp's last event before it");
  }

  private static OutputStream connect(Socket socket, ServerSocket server) throws IOException {
    socket.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), 5_000);
    return socket.getOutputStream();
  }
}
