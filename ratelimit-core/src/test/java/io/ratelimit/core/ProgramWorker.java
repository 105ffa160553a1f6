package io.ratelimit.core;

import io.ratelimit.core.internal.lifecycle.ExitWatcher;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A plain program that uses the limiter and never closes it, as a user forgets to: gets a client the way
 * {@code entry} says ({@code create}, {@code wrap} or {@code coordinator}), sends {@code requests} GETs to
 * {@code url}, prints {@code SENT <coordination>} (reading nothing that would flush the counters) and ends
 * the way {@code ending} says:
 * <ul>
 *   <li>{@code return}: {@code main} returns;
 *   <li>{@code throw}: {@code main} throws (exit status 1);
 *   <li>{@code exit}: {@code System.exit(3)};
 *   <li>{@code thread}: {@code main} hands the work to a non-daemon thread of its own and returns at once;
 *       that thread first waits until {@code main} is over and the exit watcher has looked twice since,
 *       then sends (which fails if the limiter was closed under it);
 *   <li>{@code runner}: run as Maven's {@code exec:java} runs a program: in a thread of its own thread
 *       group, which the real {@code main} then joins, and every non-daemon thread of that group after it.
 * </ul>
 *
 * <p>Usage: {@code ProgramWorker entry ending url requests}
 */
public final class ProgramWorker {
  private ProgramWorker() {}

  public static void main(String[] args) throws Exception {
    String entry = args[0];
    String ending = args[1];
    String url = args[2];
    int requests = Integer.parseInt(args[3]);
    switch (ending) {
      case "thread" -> {
        Thread work = new Thread(() -> {
          OkHttpClient client = client(entry); // the limiter starts, and with it the exit watcher
          awaitMainOverAndWatcherLooked();
          send(client, url, requests);
        }, "the program's own work");
        work.start();
        System.out.println("MAIN RETURNS");
      }
      case "runner" -> runAsExecJava(() -> send(client(entry), url, requests));
      default -> {
        send(client(entry), url, requests);
        if (ending.equals("throw")) {
          throw new IllegalStateException("the program failed after its requests");
        }
        if (ending.equals("exit")) {
          System.exit(3);
        }
      }
    }
  }

  private static OkHttpClient client(String entry) {
    RateLimitConfig config = RateLimitConfig.fromEnvironment();
    return switch (entry) {
      case "create" -> RateLimitedClients.create(config);
      case "wrap" -> RateLimitedClients.wrap(new OkHttpClient(), config);
      case "coordinator" -> RateLimitedClients.coordinator().newClient(config);
      default -> throw new IllegalArgumentException(entry);
    };
  }

  private static void send(OkHttpClient client, String url, int requests) {
    for (int i = 0; i < requests; i++) {
      try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
        response.body().string();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    System.out.println("SENT " + RateLimitedClients.coordinator().coordination());
  }

  /** Until the launcher's DestroyJavaVM thread waits for this one, and the watcher has looked twice since. */
  private static void awaitMainOverAndWatcherLooked() {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("DestroyJavaVM"))) {
      pause(deadline);
    }
    long looked = ExitWatcher.checks();
    while (ExitWatcher.checks() < looked + 2) {
      pause(deadline);
    }
    System.out.println("WATCHER LOOKED");
  }

  private static void pause(long deadline) {
    if (System.nanoTime() - deadline > 0) {
      throw new IllegalStateException("waited 60 s");
    }
    LockSupport.parkNanos(10_000_000);
  }

  /** What exec:java does: the program in a thread group of its own, then joins every non-daemon thread of that group. */
  private static void runAsExecJava(Runnable program) throws InterruptedException {
    ThreadGroup group = new ThreadGroup("exec-java-like");
    Thread bootstrap = new Thread(group, program, "ProgramWorker.main()");
    bootstrap.start();
    boolean foundNonDaemon;
    do {
      foundNonDaemon = false;
      Thread[] threads = new Thread[group.activeCount() + 16];
      int count = group.enumerate(threads);
      for (int i = 0; i < count; i++) {
        if (!threads[i].isDaemon()) {
          foundNonDaemon = true;
          threads[i].join();
        }
      }
    } while (foundNonDaemon);
    System.out.println("RUNNER DONE");
  }
}
