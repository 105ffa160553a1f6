package io.ratelimit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ratelimit.core.internal.jvm.LazyTls;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.CertificatePinner;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The clients the library makes set TLS up on their first TLS connection, not when they are built, and then
 * check certificates as the platform does: a real TLS server on loopback whose certificate nothing trusts.
 */
class TlsOnFirstUseTest {
  private final RateLimitCoordinator coordinator = RateLimitCoordinator.local();
  private final MockWebServer untrusted = new MockWebServer();
  private final MockWebServer plain = new MockWebServer();

  @BeforeEach
  void servers() throws IOException {
    HeldCertificate selfSigned = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
    untrusted.useHttps(new HandshakeCertificates.Builder().heldCertificate(selfSigned).build().sslSocketFactory());
    untrusted.enqueue(new MockResponse.Builder().body("never seen").build());
    untrusted.start(InetAddress.getLoopbackAddress(), 0);
    plain.enqueue(new MockResponse.Builder().body("plain").build());
    plain.start(InetAddress.getLoopbackAddress(), 0);
  }

  @AfterEach
  void stop() throws IOException {
    untrusted.close();
    plain.close();
    coordinator.close();
  }

  private static RateLimitConfig config() {
    return RateLimitConfig.builder().apiName("tls").rateLimitDelay(Duration.ZERO).build();
  }

  private static Response get(OkHttpClient client, okhttp3.HttpUrl url) throws IOException {
    return client.newCall(new Request.Builder().url(url).build()).execute();
  }

  @Test
  void theTrustStoreIsReadOnTheFirstTlsConnectionAndACertificateNothingTrustsIsRefused() throws IOException {
    OkHttpClient client = new LazyTls().applyTo(new OkHttpClient.Builder()).build();
    assertEquals(0, client.x509TrustManager().getAcceptedIssuers().length, "nothing read when the client was built");

    try (Response response = get(client, plain.url("/"))) {
      assertEquals("plain", response.body().string(), "plain HTTP needs no TLS");
    }
    assertEquals(0, client.x509TrustManager().getAcceptedIssuers().length, "still nothing read");

    assertThrows(SSLHandshakeException.class, () -> get(client, untrusted.url("/")).close());
    assertTrue(client.x509TrustManager().getAcceptedIssuers().length > 0, "the platform's trust store checked it");
    assertEquals(0, untrusted.getRequestCount(), "the refused connection carried no request");
  }

  @Test
  void aLimitedClientTheLibraryMadeRefusesACertificateNothingTrusts() {
    OkHttpClient client = coordinator.newClient(config());
    assertThrows(SSLHandshakeException.class, () -> get(client, untrusted.url("/")).close());
    assertEquals(0, untrusted.getRequestCount());
  }

  @Test
  void aClientMadeFromOneOfTheLibrarysThatPinsCertificatesIsGivenThePlatformsIssuers() {
    OkHttpClient pinning = coordinator.newClient(config()).newBuilder()
        .certificatePinner(new CertificatePinner.Builder().add("localhost", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").build())
        .build();
    OkHttpClient limited = coordinator.wrap(pinning, config());
    // OkHttp pins against a chain it cleans with these issuers: none would refuse every pinned chain
    assertTrue(limited.x509TrustManager().getAcceptedIssuers().length > 0);
    assertThrows(SSLHandshakeException.class, () -> get(limited, untrusted.url("/")).close());
  }
}
