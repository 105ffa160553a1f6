package io.ratelimit.benchmarks.quota;

import io.ratelimit.benchmarks.Settings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The run's settings, checked before anything starts. */
record QuotaSettings(int workers, int threads, int perSecond, int seconds, int burst, int windowSeconds,
    Set<QuotaServer.Header> headers, int retryAfter, boolean timeline, int connCap, int connLatencyMs, int firstArrivals,
    RefereeProxy.Scheduling refereeScheduling, List<Policy> policies, List<String> contenders) {
  int windowQuota() {
    return perSecond * windowSeconds / 2;
  }

  /** nginx-conn's ceiling, requests/s: C requests in flight, each L ms. */
  double connCeiling() {
    return connCap * 1000.0 / connLatencyMs;
  }

  /** The rate each contender is given: R, or 0 (no rate, no spacing) where the API caps requests in flight only. */
  int contenderPerSecond(Policy p) {
    return p == Policy.NGINX_CONN ? 0 : perSecond;
  }

  /** The in-flight cap each contender that has one is given: the benchmark's, or C where the API caps exactly that. */
  int contenderInFlight(Policy p, int maxInFlight) {
    return p == Policy.NGINX_CONN ? connCap : maxInFlight;
  }

  String label(Policy p) {
    return p == Policy.FIXED_HEADERS || retryAfter == 0 ? policyLabel(p) : policyLabel(p) + ", Retry-After " + retryAfter;
  }

  private String policyLabel(Policy p) {
    switch (p) {
      case LEAKY: return "leaky bucket " + perSecond + "/s";
      case LEAKY_BURST: return "leaky bucket " + perSecond + "/s, burst " + burst;
      case SLIDING: return "sliding window " + perSecond + "/s";
      case FIXED_HEADERS: return "fixed window " + windowQuota() + "/" + windowSeconds + " s, Retry-After"
          + (headers.isEmpty() ? "" : " + " + headers.stream().map(h -> h == QuotaServer.Header.IETF ? "RateLimit" : "X-RateLimit")
              .collect(Collectors.joining(" + ")));
      case NGINX_LEAKY: return "nginx limit_req " + perSecond + "r/s";
      case NGINX_BURST: return "nginx limit_req " + perSecond + "r/s burst=" + burst + " nodelay";
      case HAPROXY_WINDOW: return "haproxy http_req_rate(1s) > " + perSecond;
      case NGINX_CONN: return "nginx limit_conn " + connCap + ", backend " + connLatencyMs + " ms (ceiling " + QuotaBenchmark.number(connCeiling()) + "/s)";
      default: throw new IllegalStateException();
    }
  }

  /** What the API allows in the measured time. */
  double allowed(Policy p) {
    if (p == Policy.FIXED_HEADERS) {
      return (double) windowQuota() * Math.ceil((double) seconds / windowSeconds);
    }
    if (p == Policy.NGINX_CONN) {
      return connCeiling() * seconds;
    }
    boolean withBurst = p == Policy.LEAKY_BURST || p == Policy.NGINX_BURST;
    return (double) perSecond * seconds + (withBurst ? burst : 0);
  }

  /**
   * What the API allows from {@code start} to {@code end} s after reset: R per second (+ B with a burst); for
   * the fixed window, Q for each window the stretch touches (as {@link #allowed} counts every started window).
   */
  double allowed(Policy p, double start, double end) {
    if (p == Policy.FIXED_HEADERS) {
      long touched = (long) Math.floor(end / windowSeconds) - (long) Math.floor(start / windowSeconds) + 1;
      return (double) windowQuota() * touched;
    }
    if (p == Policy.NGINX_CONN) {
      return connCeiling() * (end - start);
    }
    boolean withBurst = p == Policy.LEAKY_BURST || p == Policy.NGINX_BURST;
    return perSecond * (end - start) + (withBurst ? burst : 0);
  }

  QuotaApi start(Policy p) throws IOException {
    switch (p) {
      case LEAKY: return QuotaServer.leakyBucket(perSecond, 0, retryAfter);
      case LEAKY_BURST: return QuotaServer.leakyBucket(perSecond, burst, retryAfter);
      case SLIDING: return QuotaServer.slidingWindow(perSecond, retryAfter);
      case FIXED_HEADERS: return QuotaServer.fixedWindow(windowQuota(), windowSeconds, headers);
      case NGINX_CONN: return RefereeProxy.nginxConn(connCap, connLatencyMs, retryAfter, refereeScheduling);
      default: return new RefereeProxy(p.referee(), perSecond, burst, retryAfter, refereeScheduling);
    }
  }

  static final String DEFAULT_POLICIES = "leaky,sliding,leaky-burst,fixed-headers";

  /** Every setting read and checked at once; a bad one stops the run before anything starts, naming it. */
  static QuotaSettings fromEnvironment() {
    List<String> problems = new ArrayList<>();
    int workers = Settings.integer("QUOTA_WORKERS", 4, 1, 64, problems);
    int threads = Settings.integer("QUOTA_THREADS", 8, 1, 256, problems);
    int perSecond = Settings.integer("QUOTA_PER_SECOND", 20, 1, 10_000, problems);
    int seconds = Settings.integer("QUOTA_SECONDS", 20, 1, 3_600, problems);
    int burst = Settings.integer("QUOTA_BURST", 5, 0, 10_000, problems);
    int windowSeconds = Settings.integer("QUOTA_WINDOW_SECONDS", 5, 1, 3_600, problems);
    if (perSecond * windowSeconds / 2 < 1) {
      problems.add("QUOTA_PER_SECOND x QUOTA_WINDOW_SECONDS / 2 (the fixed window's quota) must be at least 1, got "
          + perSecond + " x " + windowSeconds + " / 2");
    }

    Set<QuotaServer.Header> headers = EnumSet.noneOf(QuotaServer.Header.class);
    String headersValue = Settings.value("QUOTA_HEADERS", "ietf,x");
    for (String h : headersValue.split(",")) {
      switch (h.trim()) {
        case "ietf": headers.add(QuotaServer.Header.IETF); break;
        case "x": headers.add(QuotaServer.Header.X_RATELIMIT); break;
        case "none": break;
        default: problems.add("QUOTA_HEADERS='" + headersValue + "': '" + h.trim() + "' is not one of ietf, x, none");
      }
    }

    int retryAfter = 0;
    String retryAfterValue = Settings.value("QUOTA_RETRY_AFTER", "none").trim();
    if (!retryAfterValue.equals("none")) {
      retryAfter = Settings.integer("QUOTA_RETRY_AFTER", 0, 1, 3_600, problems);
      if (retryAfter == 0) {
        problems.set(problems.size() - 1, "QUOTA_RETRY_AFTER='" + System.getenv("QUOTA_RETRY_AFTER")
            + "': expected none or a whole number of seconds from 1 to 3600");
      }
    }

    // the backend answers at most 64 at once (its thread pool, nginx's upstream keepalive): a larger cap would queue there
    int connCap = Settings.integer("QUOTA_CONN_CAP", 4, 1, 64, problems);
    int connLatencyMs = Settings.integer("QUOTA_CONN_LATENCY_MS", 100, 1, 60_000, problems);

    // read by each worker (QuotaWorker): checked here, before any starts
    Settings.oneOf("QUOTA_COLD_START", "true", List.of("true", "false"), problems);
    boolean timeline = Settings.oneOf("QUOTA_TIMELINE", "false", List.of("true", "false"), problems).equals("true");
    int firstArrivals = Settings.integer("QUOTA_FIRST_ARRIVALS", 0, 0, 9_999, problems);

    // where nginx and haproxy are scheduled (RefereeProxy.Scheduling): their own session by default; realtime
    // needs root or CAP_SYS_NICE
    List<String> placements = Arrays.stream(RefereeProxy.Scheduling.values()).map(p -> p.key).toList();
    String placement = Settings.oneOf("QUOTA_REFEREE_SCHEDULING", RefereeProxy.Scheduling.OWN_SESSION.key, placements, problems);
    RefereeProxy.Scheduling refereeScheduling = RefereeProxy.Scheduling.values()[placements.indexOf(placement)];

    List<Policy> policies = new ArrayList<>();
    String policiesValue = Settings.value("QUOTA_POLICIES", DEFAULT_POLICIES);
    List<String> keys = Arrays.stream(Policy.values()).map(p -> p.key).toList();
    for (String name : policiesValue.trim().equals("all") ? keys : List.of(policiesValue.split(","))) {
      Policy match = Arrays.stream(Policy.values()).filter(p -> p.key.equals(name.trim())).findFirst().orElse(null);
      if (match == null) {
        problems.add("QUOTA_POLICIES='" + policiesValue + "': '" + name.trim() + "' is not one of " + String.join(", ", keys) + " (or all)");
      } else if (!policies.contains(match)) {
        policies.add(match);
      }
    }

    String contendersValue = System.getenv("QUOTA_CONTENDERS"); // e.g. ratelimit-testkit,bucket4j-hazelcast: a subset
    List<String> contenders = contendersValue == null || contendersValue.isBlank() ? QuotaBenchmark.CONTENDERS
        : Arrays.stream(contendersValue.split(",")).map(String::trim).toList();
    for (String c : contenders) {
      String base = c.replaceAll("\\+[0-9]+%$", "");
      boolean known = QuotaBenchmark.CONTENDERS.contains(base) || base.matches("ratelimit-testkit:(adaptive|static)");
      if (!known) {
        problems.add("QUOTA_CONTENDERS='" + contendersValue + "': '" + c + "' is not one of none, resilience4j-full, resilience4j-divided, "
            + "bucket4j-hazelcast, ratelimit-testkit, ratelimit-testkit:adaptive, ratelimit-testkit:static (each may end in +N%)");
      }
    }
    Settings.check("quota benchmark", problems);
    return new QuotaSettings(workers, threads, perSecond, seconds, burst, windowSeconds, headers, retryAfter, timeline, connCap, connLatencyMs,
        firstArrivals, refereeScheduling, policies, contenders);
  }
}
