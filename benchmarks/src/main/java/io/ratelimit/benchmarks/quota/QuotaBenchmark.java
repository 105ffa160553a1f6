package io.ratelimit.benchmarks.quota;

import io.ratelimit.benchmarks.Settings;
import io.ratelimit.core.ForkedJvm;
import io.ratelimit.hazelcast.testing.FreePorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The quota benchmark: W worker JVMs x T threads send requests as fast as their client lets them, for a
 * fixed time, to a loopback API enforcing a quota of R requests/s. One row per policy and contender: the
 * share of the quota used by successful requests in the QUOTA_SECONDS after {@code GO}, the share of attempts
 * answered 429; the same two over the whole window (as the API saw it: from 1 s after the last worker's first
 * arrival to the first worker's last arrival, when all W JVMs were sending; {@link ServerView}); the share of
 * logical requests that succeeded (after retries), the latency tests saw, and for a fixed window its worst
 * window's use and most 429s in one window.
 *
 * <p>{@code mvn -B -q -pl benchmarks exec:exec -Dbenchmark=io.ratelimit.benchmarks.quota.QuotaBenchmark}.
 * Environment: {@code QUOTA_WORKERS}, {@code QUOTA_THREADS}, {@code QUOTA_PER_SECOND}, {@code QUOTA_SECONDS}
 * (W, T, R and the time per row; defaults 4, 8, 20, 20); {@code QUOTA_CONTENDERS} (a comma-separated subset);
 * {@code QUOTA_POLICIES} (a comma-separated subset of the policies below, or {@code all}; default
 * {@code leaky,sliding,leaky-burst,fixed-headers}); {@code QUOTA_BURST} (5), {@code QUOTA_WINDOW_SECONDS} (5)
 * and {@code QUOTA_HEADERS} ({@code ietf,x}: the fixed window's rate-limit headers, {@code none} for none);
 * {@code QUOTA_RETRY_AFTER} ({@code none}: a whole number N of seconds makes every 429 of the leaky bucket, the
 * sliding window and the nginx and haproxy referees carry {@code Retry-After: N}); {@code QUOTA_COLD_START}
 * ({@code true}: ratelimit-testkit's workers send their first request at GO, while their members start and the
 * run's state moves into the cluster, as a user's forks do; {@code false}: they wait for the cluster and send
 * a warm-up request first, as the figures before it did); {@code QUOTA_TIMELINE}
 * ({@code false}: {@code true} prints, after the table, each row's run second by second as the API saw it);
 * {@code QUOTA_CONN_CAP} (C, 4) and {@code QUOTA_CONN_LATENCY_MS} (L, 100): the {@code nginx-conn} policy's cap
 * on requests in flight and its backend's latency.
 *
 * <p>Policies: {@code leaky} (GCRA at R/s, no burst), {@code leaky-burst} (burst B), {@code sliding} (R in
 * any 1 s), {@code fixed-headers} (Q = R x W / 2 per W s, so the contenders' spacing 1/R is twice too fast;
 * 429 with {@code Retry-After} to the window's end; RateLimit headers on every response), all in this JVM;
 * and third-party referees started on loopback in front of a backend in this JVM, when installed:
 * {@code nginx-leaky} ({@code limit_req} rate=Rr/s), {@code nginx-burst} (burst=B nodelay),
 * {@code haproxy-window} ({@code http_req_rate(1s)} above R denied), {@code nginx-conn} ({@code limit_conn}
 * C: at most C requests in flight run-wide, in front of a backend taking L ms, so a ceiling of C / L requests/s;
 * its contenders are configured for the cap, not a rate: in-flight cap C, spacing 0, and its quota use is the
 * share of that ceiling; a note gives the mean requests in flight at nginx over the whole window, and with
 * {@code QUOTA_TIMELINE} its per-second table has that mean for each second).
 */
public final class QuotaBenchmark {
  static final List<String> CONTENDERS = List.of("none", "resilience4j-full", "resilience4j-divided", "bucket4j-hazelcast",
      "ratelimit-testkit", "bucket4j-hazelcast+10%", "ratelimit-testkit+10%");
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static final Set<String> NOTES = new LinkedHashSet<>();
  private static final List<String> TIMELINES = new ArrayList<>();

  private QuotaBenchmark() {}

  public static void main(String[] args) throws Exception {
    QuotaSettings s = QuotaSettings.fromEnvironment();
    int maxInFlight = 8;
    System.out.printf(Locale.ROOT, "W=%d workers x T=%d threads, R=%d requests/s, %d s per row, in flight cap %d (where the contender has one), "
        + "server latency %d ms, %s; nginx and haproxy scheduled %s (QUOTA_REFEREE_SCHEDULING=%s)%n%n", s.workers(), s.threads(), s.perSecond(),
        s.seconds(), maxInFlight, QuotaServer.LATENCY_MS,
        s.retryAfter() == 0 ? "429s without Retry-After (but the fixed window's)" : "every 429 with Retry-After " + s.retryAfter()
            + " (the fixed window's: to its end)", s.refereeScheduling().description, s.refereeScheduling().key);
    if (s.policies().contains(Policy.NGINX_CONN)) {
      System.out.printf(Locale.ROOT, "nginx-conn: nginx limit_conn C=%d in front of a backend taking L=%d ms, a ceiling of C / L = %s requests/s; "
          + "its contenders get in-flight cap C and spacing 0 (resilience4j and Bucket4j a rate of %d/s), its quota use is successes / "
          + "(C / L x time)%n%n", s.connCap(), s.connLatencyMs(), number(s.connCeiling()), QuotaWorker.UNLIMITED_PER_SECOND);
    }
    System.out.println("| quota | contender | quota use | 429 share of attempts | whole-window quota use | whole-window 429 share | whole window s "
        + "| success after retries | p50 ms | p99 ms | logical requests | worst window's use | most 429s in a window |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Policy policy : s.policies()) {
      RefereeProxy.Kind referee = policy.referee();
      if (referee != null && RefereeProxy.binary(referee).isEmpty()) {
        System.out.printf(Locale.ROOT, "| %s | - | skipped: %s is not installed (apt-get install -y nginx-light haproxy) | | | | | | | | | | |%n",
            s.label(policy), referee.binary);
        continue;
      }
      for (String contender : s.contenders()) {
        System.out.println(row(s, policy, contender, maxInFlight));
      }
    }
    if (!NOTES.isEmpty()) {
      System.out.println();
      NOTES.forEach(System.out::println);
    }
    for (String timeline : TIMELINES) {
      System.out.println();
      System.out.print(timeline);
    }
  }

  private static String row(QuotaSettings s, Policy policy, String contender, int maxInFlight) throws Exception {
    List<ForkedJvm> jvms = new ArrayList<>();
    try (QuotaApi server = s.start(policy)) {
      Map<String, String> env = new HashMap<>();
      env.put("PYTEST_RUN_ID", "quota-" + UUID.randomUUID());
      env.put("PYTEST_CLUSTER_PORT", Integer.toString(FreePorts.range(s.workers() + 4)));
      env.put("PYTEST_CLUSTER_PORT_COUNT", Integer.toString(s.workers() + 4));
      env.put("QUOTA_COLD_START", Settings.value("QUOTA_COLD_START", "true").trim());
      if (contender.matches(".*:adaptive(\\+[0-9]+%)?$")) {
        env.put("PYTEST_ADAPTIVE_DELAY", "true");
      } else if (contender.matches(".*:static(\\+[0-9]+%)?$")) {
        env.put("PYTEST_ADAPTIVE_DELAY", "false");
      } // otherwise the benchmark's own environment passes through, PYTEST_ADAPTIVE_DELAY included
      for (int w = 1; w <= s.workers(); w++) {
        env.put("PYTEST_WORKER_ID", "w" + w);
        jvms.add(ForkedJvm.start("w" + w, QuotaWorker.class, env, contender, server.url(), Integer.toString(s.threads()),
            Integer.toString(s.contenderPerSecond(policy)), Integer.toString(s.workers()), Integer.toString(s.contenderInFlight(policy, maxInFlight)),
            Long.toString(s.seconds() * 1000L),
            Integer.toString(w)));
      }
      for (ForkedJvm jvm : jvms) {
        String ready = jvm.awaitLine(l -> l.startsWith("READY"), BOUND);
        if (contender.matches("ratelimit-testkit:(adaptive|static).*") && ready.contains("adaptive=")) {
          String seen = ready.substring(ready.indexOf("adaptive=") + "adaptive=".length());
          NOTES.add(seen.contains("not a setting")
              ? "Note: " + seen + ": the ratelimit-testkit:adaptive and :static rows ran the library's only pacing."
              : "ratelimit-testkit:" + (env.get("PYTEST_ADAPTIVE_DELAY").equals("true") ? "adaptive" : "static") + " saw " + seen);
        }
      }
      server.reset();
      for (ForkedJvm jvm : jvms) {
        jvm.tell("GO");
      }
      TimeUnit.SECONDS.sleep(s.seconds());
      long okInWindow = server.ok();
      List<long[]> windows = server.windows();
      List<Long> latencies = new ArrayList<>();
      long logical = 0;
      long ok = 0;
      for (ForkedJvm jvm : jvms) {
        String result = jvm.awaitValue("RESULT", BOUND.multipliedBy(3));
        for (String part : result.split(" ")) {
          String[] kv = part.split("=", 2);
          switch (kv[0]) {
            case "logical": logical += Long.parseLong(kv[1]); break;
            case "ok": ok += Long.parseLong(kv[1]); break;
            case "latencies":
              for (String l : kv[1].split(",")) {
                if (!l.isEmpty()) {
                  latencies.add(Long.parseLong(l));
                }
              }
              break;
            default:
          }
        }
      }
      Collections.sort(latencies);
      double quotaUse = okInWindow / s.allowed(policy);
      long attempts = server.attempts();
      double refusedShare = attempts == 0 ? 0 : (double) server.refused() / attempts;
      double success = logical == 0 ? 0 : (double) ok / logical;
      ServerView view = new ServerView(server.arrivals(), server.resetEpochMicros(), s.workers());
      int firstArrivals = s.firstArrivals();
      if (firstArrivals > 0) { // a look at the run's first moments: ms after GO, gap to the previous, worker, answer
        StringBuilder first = new StringBuilder("First arrivals, " + s.label(policy) + " / " + contender + ":");
        long previous = -1;
        for (QuotaApi.Arrival a : server.arrivals().stream().sorted(java.util.Comparator.comparingLong(QuotaApi.Arrival::epochMicros))
            .limit(firstArrivals).toList()) {
          first.append(String.format(Locale.ROOT, " [%.1f +%.1f w%d %s]", (a.epochMicros() - server.resetEpochMicros()) / 1000.0,
              previous < 0 ? 0 : (a.epochMicros() - previous) / 1000.0, a.worker(), a.refused() ? "429" : "ok"));
          previous = a.epochMicros();
        }
        NOTES.add(first.toString());
      }
      ServerView.Window whole = view.wholeWindow();
      String wholeUse = "-";
      String wholeRefused = "-";
      String wholeSpan = "-";
      if (whole == null) {
        NOTES.add("No whole window for " + s.label(policy) + " / " + contender + ": " + view.why() + ".");
      } else {
        wholeUse = String.format(Locale.ROOT, "%.0f%%", 100 * whole.admitted() / s.allowed(policy, whole.start(), whole.end()));
        wholeRefused = String.format(Locale.ROOT, "%.1f%%", whole.attempts() == 0 ? 0 : 100.0 * whole.refused() / whole.attempts());
        wholeSpan = String.format(Locale.ROOT, "%.1f-%.1f", whole.start(), whole.end());
        if (policy == Policy.NGINX_CONN) {
          double inFlight = view.meanInFlight(whole.start(), whole.end());
          NOTES.add(String.format(Locale.ROOT, "%s / %s: mean requests in flight at nginx over the whole window (%.1f-%.1f s): %s of the cap %d "
              + "(each request from its arrival, $msec - $request_time, to its answer, $msec; refused ones too).", s.label(policy), contender,
              whole.start(), whole.end(), Double.isNaN(inFlight) ? "-" : String.format(Locale.ROOT, "%.2f", inFlight), s.connCap()));
        }
      }
      if (s.timeline()) {
        TIMELINES.add(view.timeline("Per second, " + s.label(policy) + " / " + contender + " (as the API saw it; second 0 begins at GO):",
            whole, policy == Policy.NGINX_CONN));
      }
      String worstWindow = "-";
      String most429 = "-";
      if (policy == Policy.FIXED_HEADERS) {
        int complete = s.seconds() / s.windowSeconds();
        int started = (int) Math.ceil((double) s.seconds() / s.windowSeconds());
        long worst = Long.MAX_VALUE;
        long most = 0;
        for (int i = 0; i < started; i++) {
          long[] w = i < windows.size() ? windows.get(i) : new long[2];
          if (i < complete) {
            worst = Math.min(worst, w[0]);
          }
          most = Math.max(most, w[1]);
        }
        worstWindow = complete == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * worst / s.windowQuota());
        most429 = Long.toString(most);
      }
      return String.format(Locale.ROOT, "| %s | %s | %.0f%% | %.1f%% | %s | %s | %s | %.1f%% | %d | %d | %d | %s | %s |",
          s.label(policy), contender, 100 * quotaUse, 100 * refusedShare, wholeUse, wholeRefused, wholeSpan, 100 * success,
          percentile(latencies, 0.50),
          percentile(latencies, 0.99), logical, worstWindow, most429);
    } finally {
      for (ForkedJvm jvm : jvms) {
        jvm.close();
      }
    }
  }

  /** A rate for a label: whole when it is, else one decimal. */
  static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }
}
