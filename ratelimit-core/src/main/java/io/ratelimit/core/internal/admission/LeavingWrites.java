package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.pacing.StartTimes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Notes a request's start when its first bytes have been written to the socket (one per limiter: the threads
 * it armed, and the sockets it made). OkHttp's last event before a request leaves ({@code requestHeadersEnd},
 * or {@code requestBodyEnd} for a small body) comes before its buffered bytes are flushed, and a sender
 * descheduled in between (measured: 1.5-2.5 ms in about 1 request of 100 on a busy 2-core machine) leaves
 * later than it was noted; the next sender, keeping the delay after the note, then reaches a strict API too
 * early. So the thread that makes a limited call is armed with its API when the call's headers are written,
 * and the socket notes the start on that thread's next write, once the bytes are with the kernel.
 *
 * <p>Only the platform's default socket factory is replaced (a client with its own keeps it, and its starts
 * are noted at the events alone); the platform's TLS sockets are layered over these and write their records
 * through them. A pooled connection that a client without the limiter opened keeps its plain socket (OkHttp
 * shares connections whatever the socket factory), and calls on it are noted at the events. HTTP/2 writes a
 * bodiless request's headers before its event, so the event's note is already the start.
 */
final class LeavingWrites {
  /** The API whose request the current thread is about to send, and where its start is noted. */
  private record Armed(StartTimes starts, String api) {}

  private final ThreadLocal<Armed> armed = new ThreadLocal<>();
  private final Sockets sockets = new Sockets();

  /** The current thread's next write to a socket from {@link #around} notes a start of {@code api} in {@code starts}. */
  void arm(StartTimes starts, String api) {
    armed.set(new Armed(starts, api));
  }

  /** The current thread's writes note nothing more (its call ended or failed before a write). */
  void disarm() {
    armed.remove();
  }

  /**
   * A factory of sockets whose writes note armed starts, in place of {@code factory} when it is the
   * platform's default; any other factory as it is.
   */
  SocketFactory around(SocketFactory factory) {
    return factory.getClass() == SocketFactory.getDefault().getClass() ? sockets : factory;
  }

  /** The factory a client had before a limiter wrapped it. */
  static SocketFactory without(SocketFactory factory) {
    return factory instanceof Sockets ? SocketFactory.getDefault() : factory;
  }

  private void wrote() {
    Armed start = armed.get();
    if (start != null) {
      armed.remove();
      start.starts().started(start.api(), StartSlots.epochNanosNow());
    }
  }

  /** Unconnected sockets, as OkHttp asks for them, and connected ones, as the interface also offers. */
  private final class Sockets extends SocketFactory {
    @Override
    public Socket createSocket() {
      return new NotingSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    /** A socket bound to {@code local} (null: any) and connected to {@code remote}. */
    private Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
      Socket socket = new NotingSocket();
      if (local != null) {
        socket.bind(local);
      }
      socket.connect(remote);
      return socket;
    }
  }

  /** A plain socket whose output stream notes an armed start after each write. */
  private final class NotingSocket extends Socket {
    private OutputStream out;

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (out == null) {
        out = new NotingStream(super.getOutputStream());
      }
      return out;
    }
  }

  private final class NotingStream extends OutputStream {
    private final OutputStream socket;

    NotingStream(OutputStream socket) {
      this.socket = socket;
    }

    @Override
    public void write(int b) throws IOException {
      socket.write(b);
      wrote();
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      socket.write(bytes, offset, length);
      wrote();
    }

    @Override
    public void flush() throws IOException {
      socket.flush();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
