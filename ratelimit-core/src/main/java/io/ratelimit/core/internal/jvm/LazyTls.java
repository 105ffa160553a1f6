package io.ratelimit.core.internal.jvm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * The platform's TLS (its default trust store and a TLS context on it), set up on a client's first TLS
 * connection rather than when the client is built. OkHttp sets TLS up when it builds a client, about 0.1 CPU s
 * of a cold JVM (the trust store read and parsed); four forks that start together on two cores pay it before
 * their first request even when the API speaks plain HTTP, as test APIs on a CI runner often do. Certificates
 * are checked exactly as the platform's own client would check them, by the platform's trust manager.
 *
 * <p>One thing OkHttp does at build time is kept for later: it asks the trust manager for its issuers, for
 * certificate pinning. The client built with {@link #applyTo} has no pins, so they are not read then; a client
 * made from it that pins certificates must be given the platform's trust manager ({@link #forPinning}), or
 * OkHttp finds no trusted issuer for the pinned chain and refuses it.
 */
public final class LazyTls {
  private final Object lock = new Object();
  private volatile X509TrustManager platformTrust;
  private volatile SSLSocketFactory platformSockets;
  private final Sockets sockets = new Sockets();
  private final Trust trust = new Trust();

  /** Gives {@code builder} this TLS, to be set up on its first TLS connection. */
  public OkHttpClient.Builder applyTo(OkHttpClient.Builder builder) {
    return builder.sslSocketFactory(sockets, trust);
  }

  /**
   * {@code builder} (made from {@code client}) with TLS OkHttp can pin certificates with, if {@code client}
   * has this lazy TLS and pins: the platform's trust manager, read now. Otherwise it is left as it is.
   */
  public static OkHttpClient.Builder forPinning(OkHttpClient client, OkHttpClient.Builder builder) {
    if (client.x509TrustManager() instanceof Trust lazy && !client.certificatePinner().getPins().isEmpty()) {
      builder.sslSocketFactory(client.sslSocketFactory(), lazy.owner().platformTrust());
    }
    return builder;
  }

  private X509TrustManager platformTrust() {
    X509TrustManager known = platformTrust;
    if (known != null) {
      return known;
    }
    synchronized (lock) {
      if (platformTrust == null) {
        try {
          TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
          factory.init((KeyStore) null); // the platform's default trust store
          platformTrust = Arrays.stream(factory.getTrustManagers()).filter(X509TrustManager.class::isInstance)
              .map(X509TrustManager.class::cast).findFirst()
              .orElseThrow(() -> new IllegalStateException("the platform has no X.509 trust manager"));
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("the platform's trust store could not be read", e);
        }
      }
      return platformTrust;
    }
  }

  private SSLSocketFactory platformSockets() throws IOException {
    SSLSocketFactory known = platformSockets;
    if (known != null) {
      return known;
    }
    synchronized (lock) {
      if (platformSockets == null) {
        try {
          SSLContext context = SSLContext.getInstance("TLS"); // as OkHttp's own platform makes it
          context.init(null, new TrustManager[] {platformTrust()}, null);
          platformSockets = context.getSocketFactory();
        } catch (GeneralSecurityException | IllegalStateException e) {
          throw new IOException("TLS could not be set up: " + e.getMessage(), e);
        }
      }
      return platformSockets;
    }
  }

  /** The platform's trust manager, read on first use; no issuers until then (see the class comment). */
  private final class Trust implements X509TrustManager {
    LazyTls owner() {
      return LazyTls.this;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      platformTrust().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      platformTrust().checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      X509TrustManager known = platformTrust;
      return known == null ? new X509Certificate[0] : known.getAcceptedIssuers();
    }
  }

  /** The platform's TLS sockets, its context made on the first one. */
  private final class Sockets extends SSLSocketFactory {
    @Override
    public String[] getDefaultCipherSuites() {
      return sockets().getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return sockets().getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
      return platformSockets().createSocket(socket, host, port, autoClose);
    }

    @Override
    public Socket createSocket() throws IOException {
      return platformSockets().createSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return platformSockets().createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return platformSockets().createSocket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return platformSockets().createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      return platformSockets().createSocket(address, port, localAddress, localPort);
    }

    private SSLSocketFactory sockets() {
      try {
        return platformSockets();
      } catch (IOException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
  }
}
