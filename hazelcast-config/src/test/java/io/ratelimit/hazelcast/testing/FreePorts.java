package io.ratelimit.hazelcast.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Free loopback port ranges for tests and benchmarks, picked at random so runs on one machine don't collide. */
public final class FreePorts {
  private FreePorts() {}

  /** A base port with {@code count} free loopback ports from it on. */
  public static int range(int count) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      if (allFree(base, count)) {
        return base;
      }
    }
    throw new IOException("no range of " + count + " free loopback ports found");
  }

  private static boolean allFree(int base, int count) {
    for (int port = base; port < base + count; port++) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
      } catch (IOException taken) {
        return false;
      }
    }
    return true;
  }
}
