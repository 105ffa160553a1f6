package io.ratelimit.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ratelimit.hazelcast.internal.Redaction;
import org.junit.jupiter.api.Test;

/**
 * What Hazelcast says never shows a run's secret cluster name, only its display name: known by its shape,
 * for any run id, remembered nowhere.
 */
class RedactionTest {
  private static final JoinSecret SECRET = JoinSecret.of("0123456789abcdef0123456789abcdef");

  @Test
  void aSecretNameShowsAsItsDisplayName() {
    for (String runId : new String[] {"r", "gh-1234-1", "build.7_a-b", "0123456789abcdef", "x".repeat(64)}) {
      String name = SECRET.clusterName(runId);
      String shown = Redaction.apply("Cluster name: " + name + ", Trying to connect to cluster: '" + name + "'.");
      assertEquals("Cluster name: ratelimit-" + runId + ", Trying to connect to cluster: 'ratelimit-" + runId + "'.", shown);
    }
  }

  @Test
  void otherTextPassesUnchanged() {
    String text = "ratelimit-build-1 joined; ratelimit-build-1-abc is no digest; " + "a".repeat(64);
    assertEquals(text, Redaction.apply(text));
    assertNull(Redaction.apply((String) null));
  }

  @Test
  void aThrowableNamingItIsCopiedWithoutIt() {
    String name = SECRET.clusterName("run-1");
    Throwable thrown = new IllegalStateException("outer", new RuntimeException("cluster " + name + " refused"));
    Throwable shown = Redaction.apply(thrown);
    assertEquals("java.lang.RuntimeException: cluster ratelimit-run-1 refused", shown.getCause().toString());
    assertFalse(shown.getCause().getMessage().contains(name));
    Throwable plain = new IllegalStateException("nothing secret");
    assertSame(plain, Redaction.apply(plain));
  }
}
