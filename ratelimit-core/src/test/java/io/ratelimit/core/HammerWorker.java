package io.ratelimit.core;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A worker JVM for the cross-worker tests: joins the run's cluster through the JVM-wide coordinator
 * (configured by the PYTEST_* environment), says {@code READY}, waits for {@code GO} on stdin, then sends
 * {@code threads x requestsEach} GETs to {@code url} and prints its counters. Before {@code READY} it
 * opens its connections and sends one limited request per thread to {@code /warm-up} (which the
 * loopback server does not count), so the measured run sees a warm JVM. Commands after that:
 * {@code QUIET} sends like {@code GO} but only prints {@code SENT}, {@code STREAM} sends on every thread
 * until the JVM is stopped (a refused request is counted, the first one printed as {@code REFUSED <message>},
 * and the thread goes on trying), {@code REFUSALS} prints how many were refused, {@code DELAY} prints the effective spacing it last saw, {@code LEARNED} the delay the refusals taught the run
 * (nanoseconds), {@code TARGET} and a URL sends there from then on, {@code STATS} prints the
 * merged counters, {@code AWAIT} and a member count waits until the cluster has exactly that many members and
 * prints {@code MEMBERS}, {@code VIEW} prints this JVM's own view of the cluster at once, asking no other
 * member ({@code VIEW <members> <this member's uuid> <every member's uuid, sorted>}), {@code OWN} prints how many
 * attempts this JVM has sent ({@code OWN <n>}, no cluster call), {@code HOLD} and a resource takes its lease in
 * the background and keeps it ({@code HELD <resource>} once it has it), {@code LATE} and a count sends that many
 * GETs to {@code /late} one after another, each of which leaves 60 ms after its admission (held by a network
 * interceptor after the limiter's, as a sender descheduled after its slot would be; {@code LATE SENT} once done), {@code LEASES} prints every live lease
 * of the run as this JVM sees it ({@code LEASES <resource>=<owner>,...}), {@code EXIT} leaves.
 *
 * <p>Usage: {@code HammerWorker url threads requestsEach}
 */
public final class HammerWorker {
  private HammerWorker() {}

  private static final java.util.concurrent.atomic.AtomicInteger REFUSALS = new java.util.concurrent.atomic.AtomicInteger();
  private static final java.util.concurrent.atomic.AtomicBoolean FAILED_SHOWN = new java.util.concurrent.atomic.AtomicBoolean();

  public static void main(String[] args) throws Exception {
    String url = args[0]; // TARGET changes it
    int threads = Integer.parseInt(args[1]);
    int requestsEach = Integer.parseInt(args[2]);
    RateLimitCoordinator coordinator = RateLimitedClients.coordinator();
    OkHttpClient plain = new OkHttpClient.Builder()
        .connectionPool(new okhttp3.ConnectionPool(threads, 5, TimeUnit.MINUTES)).addNetworkInterceptor(HammerWorker::stallingLateOnes).build();
    hammer(plain, warmUpUrl(url), threads, 1); // open the connections before the measured run
    OkHttpClient client = RateLimitedClients.wrap(plain, RateLimitConfig.fromEnvironment());
    hammer(client, warmUpUrl(url), threads, 1); // and run the limiter's own code once (JIT, class loading)
    System.out.println("READY " + coordinator.statistics().coordination());
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String command; (command = stdin.readLine()) != null; ) {
      switch (command) {
        case "GO":
          hammer(client, url, threads, requestsEach);
          ApiStats mine = coordinator.statistics().byWorker().get(coordinator.workerId());
          System.out.println("DONE attempts=" + mine.attempts() + " requests=" + mine.requests());
          break;
        case "QUIET": // the same, printing nothing that reads (and so flushes) the counters
          hammer(client, url, threads, requestsEach);
          System.out.println("SENT");
          break;
        case "STREAM": // send without end on every thread, until the JVM is stopped
          String streamUrl = url;
          for (int t = 0; t < threads; t++) {
            Thread sender = new Thread(() -> {
              while (true) {
                try (Response r = client.newCall(new Request.Builder().url(streamUrl).build()).execute()) {
                  r.body().string();
                } catch (java.io.IOException e) {
                  return; // the worker is stopping
                } catch (RuntimeException e) {
                  // refused (no cluster): nothing was sent; try again a little later, as a test would
                  boolean refusal = String.valueOf(e.getMessage()).startsWith("ratelimit-testkit:");
                  if (refusal ? REFUSALS.incrementAndGet() == 1 : FAILED_SHOWN.compareAndSet(false, true)) {
                    System.out.println((refusal ? "REFUSED " : "FAILED ") + e.getMessage());
                  }
                  java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
              }
            }, "stream-" + t);
            sender.setDaemon(true);
            sender.start();
          }
          System.out.println("STREAMING");
          break;
        case "AWAIT": // until this worker's cluster has as many members as the next line says
          int members = Integer.parseInt(stdin.readLine().trim());
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (coordinator.clusterSize() != members && System.nanoTime() < deadline) { // exactly: a member just killed may still count
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
          }
          System.out.println("MEMBERS " + coordinator.clusterSize() + " " + coordinator.statistics().coordination());
          break;
        case "OWN": // this JVM's own attempts: no cluster call, so it answers while another member is paused
          long own = coordinator.localStatistics().values().stream().mapToLong(ApiStats::attempts).sum();
          System.out.println("OWN " + own);
          break;
        case "HOLD": // the next line names a resource: leased in the background (the wait may be long), kept
          String resource = stdin.readLine().trim();
          Thread holding = new Thread(() -> {
            ResourceLease lease = coordinator.leases("Hammer#hold").acquire(resource, java.time.Duration.ofSeconds(120));
            System.out.println("HELD " + lease.resources() + " " + lease.owner());
          }, "hold-" + resource);
          holding.setDaemon(true);
          holding.start();
          break;
        case "LATE": // the next line is how many late requests to send, one after another
          int late = Integer.parseInt(stdin.readLine().trim());
          for (int i = 0; i < late; i++) {
            try (Response r = client.newCall(new Request.Builder().url(lateUrl(url)).build()).execute()) {
              r.body().string();
            }
          }
          System.out.println("LATE SENT");
          break;
        case "LEASES":
          System.out.println("LEASES " + coordinator.leases("Hammer#list").list().stream().map(l -> l.resource() + "=" + l.owner())
              .collect(java.util.stream.Collectors.joining(",")));
          break;
        case "REFUSALS":
          System.out.println("REFUSALS " + REFUSALS.get());
          break;
        case "VIEW": // this member's own member list: no call to any other member, so it answers while one is paused
          com.hazelcast.core.HazelcastInstance member = com.hazelcast.core.Hazelcast.getAllHazelcastInstances().stream()
              .filter(hz -> hz.getLifecycleService().isRunning()).findFirst().orElse(null);
          if (member == null) {
            System.out.println("VIEW 0 none");
          } else {
            java.util.Set<com.hazelcast.cluster.Member> view = member.getCluster().getMembers();
            System.out.println("VIEW " + view.size() + " " + member.getCluster().getLocalMember().getUuid() + " "
                + view.stream().map(m -> m.getUuid().toString()).sorted().collect(java.util.stream.Collectors.joining(",")));
          }
          break;
        case "STATS":
          ApiStats all = coordinator.statistics().totals();
          System.out.println("STATS attempts=" + all.attempts() + " requests=" + all.requests() + " " + coordinator.statistics().coordination());
          break;
        case "TARGET": // the next line is the URL to send to from now on
          url = stdin.readLine().trim();
          System.out.println("TARGET " + url);
          break;
        case "LEARNED": // the delay the default API's refusals taught the run, as this worker last saw it (0: none)
          LearnedDelay learned = coordinator.learnedDelays().get(RateLimitConfig.DEFAULT_API);
          System.out.println("LEARNED " + (learned == null ? 0 : learned.needed().toNanos()));
          break;
        case "DELAY": // the effective spacing of the default API as this worker last saw it
          java.time.Duration delay = coordinator.effectiveDelays().getOrDefault(RateLimitConfig.DEFAULT_API, java.time.Duration.ZERO);
          System.out.println("DELAY " + delay.toNanos());
          break;
        case "EXIT":
          coordinator.close();
          System.exit(0);
          break;
        default:
          System.out.println("UNKNOWN " + command);
      }
    }
  }

  private static String lateUrl(String url) {
    return okhttp3.HttpUrl.get(url).newBuilder().encodedPath("/late").build().toString();
  }

  /**
   * A network interceptor (after the limiter's own) that holds each request to {@code /late} for 60 ms before
   * passing it on: the request leaves 60 ms after its admission, as one whose sender was descheduled between
   * its slot and its write would.
   */
  private static Response stallingLateOnes(okhttp3.Interceptor.Chain chain) throws java.io.IOException {
    if (chain.request().url().encodedPath().equals("/late")) {
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(60);
      for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
        java.util.concurrent.locks.LockSupport.parkNanos(left); // the stall a descheduled sender would have
      }
    }
    return chain.proceed(chain.request());
  }

  private static String warmUpUrl(String url) {
    return okhttp3.HttpUrl.get(url).newBuilder().encodedPath("/warm-up").build().toString();
  }

  private static void hammer(OkHttpClient client, String url, int threads, int requestsEach) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      done.add(pool.submit(() -> {
        for (int i = 0; i < requestsEach; i++) {
          try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
            r.body().string();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
  }
}
