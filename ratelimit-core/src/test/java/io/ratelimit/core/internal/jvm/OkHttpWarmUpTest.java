package io.ratelimit.core.internal.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

class OkHttpWarmUpTest {

  @Test
  void theWarmUpExchangeIsMadeOnLoopbackAndEnds() {
    OkHttpWarmUp warmUp = OkHttpWarmUp.start(new OkHttpClient());
    warmUp.await();
    assertTrue(warmUp.succeeded(), "the exchange with the throwaway loopback server completed");
  }

  @Test
  void aWarmUpThatCannotExchangeStillLetsTheFirstRequestGo() {
    OkHttpClient refusing = new OkHttpClient.Builder().addInterceptor(chain -> {
      throw new java.io.IOException("no network here");
    }).build();
    OkHttpWarmUp warmUp = OkHttpWarmUp.start(refusing);
    warmUp.await(); // returns: a failed warm-up leaves the first request cold, nothing else
    assertTrue(!warmUp.succeeded());
  }
}
