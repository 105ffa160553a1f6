package io.ratelimit.benchmarks.quota;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A third-party limiter as the referee: nginx {@code limit_req} or haproxy's request rate, started on a
 * loopback port in front of a {@link QuotaServer#backend()} (which answers everything after 20 ms), or nginx
 * {@code limit_conn} (a cap on requests in flight) in front of a {@link QuotaServer#backend(long)} taking
 * L ms, with a configuration generated into a temporary directory. What it refused is read from its access log (one
 * line per request: epoch time, status, the arrival's time, the sender's {@code X-Worker} header), what it
 * admitted from the backend's count. With {@code retryAfterSeconds} N &gt; 0 every 429 carries
 * {@code Retry-After: N} (nginx: {@code add_header ... always} of a value mapped from {@code $status}; haproxy:
 * {@code deny ... hdr Retry-After N}); with 0, none, as both answer by default.
 *
 * <p>Binaries: Debian's {@code nginx-light} (or {@code nginx}) and {@code haproxy} packages
 * ({@code apt-get install -y nginx-light haproxy}); looked up on the {@code PATH} and in {@code /usr/sbin}.
 * The process is this JVM's child, in the foreground ({@code daemon off}, {@code haproxy -db}), and is
 * stopped by {@link #close()} (and by a shutdown hook if the benchmark dies first).
 *
 * <p>Where it is scheduled ({@link Scheduling}): by default in a session of its own (util-linux
 * {@code setsid}), as a deployed API runs: nginx's own {@code daemon on} and every systemd service start in
 * their own session, and Linux schedules each session as one group (autogroup), so the client JVMs' load is
 * not charged to the referee. In the benchmark's session the test JVMs on the same cores delay its wake-ups by
 * milliseconds, and an admission stamped late makes the next, correctly spaced request look early to
 * {@code limit_req}: the API's clock, not the client, then refuses. Real-time ({@code chrt -f}, needs root or
 * CAP_SYS_NICE) also keeps the machine's own threads (JIT compilers, kernel threads) from delaying it, as
 * an API on another machine is never delayed by them.
 */
final class RefereeProxy implements QuotaApi {
  private static final Duration START_BOUND = Duration.ofSeconds(15);
  private static final Optional<Path> SETSID = executable("setsid");
  private static final Optional<Path> CHRT = executable("chrt");

  /** Which referee, configured how. */
  enum Kind {
    /** nginx {@code limit_req zone rate=Rr/s}, no burst: refuses a request less than 1/R after the last admitted one (ms accounting). */
    NGINX_LEAKY("nginx"),
    /** nginx {@code limit_req ... burst=B nodelay}: B requests beyond the rate pass at once, then 1/R. */
    NGINX_BURST("nginx"),
    /**
     * nginx {@code limit_conn} C: at most C requests in flight (every worker sends from 127.0.0.1: one key),
     * the C + 1st refused at once; in front of a backend taking L ms, so the ceiling is C / L.
     */
    NGINX_CONN("nginx"),
    /** haproxy: a stick table storing {@code http_req_rate(1s)}, {@code deny_status 429} once the last second's count passes R (refused requests count too). */
    HAPROXY_WINDOW("haproxy");

    final String binary;

    Kind(String binary) {
      this.binary = binary;
    }
  }

  /** Where the referee is scheduled. */
  enum Scheduling {
    /** In a session of its own, as a deployed API: the default. */
    OWN_SESSION("own-session", "in a session of their own"),
    /** In a session of its own at real-time priority ({@code chrt -f 50}): as if on a machine of its own. */
    REALTIME("realtime", "in a session of their own at real-time priority"),
    /** In the benchmark's session, beside the test JVMs (the figures before 2026-12-05, later). */
    SHARED("shared", "in the benchmark's session, beside the test JVMs");

    final String key;
    /** Where, in words, for the tables' heading. */
    final String description;

    Scheduling(String key, String description) {
      this.key = key;
      this.description = description;
    }
  }

  private final Kind kind;
  private final QuotaServer backend;
  private final Process process;
  private final Path dir;
  private final Path accessLog;
  private final int port;
  private final Thread hook;
  private final int retryAfterSeconds;
  private final int connCap;
  private volatile double markEpochSeconds;

  /** The binary's path, or empty when the package is not installed. */
  static Optional<Path> binary(Kind kind) {
    return executable(kind.binary);
  }

  private static Optional<Path> executable(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator + "/usr/local/sbin"
        + File.pathSeparator + "/usr/bin";
    return Stream.of(path.split(File.pathSeparator)).filter(p -> !p.isBlank()).map(p -> Path.of(p, name))
        .filter(Files::isExecutable).findFirst();
  }

  /**
   * Starts the referee: {@code perSecond} requests/s, {@code burst} beyond it (nginx burst only), in front of
   * a fresh backend; each 429 with {@code Retry-After: retryAfterSeconds} (0: without). For
   * {@link Kind#NGINX_CONN}, {@link #nginxConn}.
   */
  RefereeProxy(Kind kind, int perSecond, int burst, int retryAfterSeconds, Scheduling scheduling) throws IOException {
    this(kind, perSecond, burst, 0, QuotaServer.LATENCY_MS, retryAfterSeconds, scheduling);
  }

  /**
   * nginx {@code limit_conn connCap} in front of a fresh backend answering after {@code latencyMs}; each 429
   * with {@code Retry-After: retryAfterSeconds} (0: without).
   */
  static RefereeProxy nginxConn(int connCap, long latencyMs, int retryAfterSeconds, Scheduling scheduling) throws IOException {
    return new RefereeProxy(Kind.NGINX_CONN, 0, 0, connCap, latencyMs, retryAfterSeconds, scheduling);
  }

  private RefereeProxy(Kind kind, int perSecond, int burst, int connCap, long latencyMs, int retryAfterSeconds, Scheduling scheduling)
      throws IOException {
    if (kind == Kind.NGINX_CONN && connCap < 1) {
      throw new IllegalArgumentException("nginx limit_conn needs a cap of at least 1, got " + connCap + " (RefereeProxy.nginxConn)");
    }
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
    this.connCap = connCap;
    Path exe = binary(kind).orElseThrow(() -> new IOException(kind.binary + " is not installed (apt-get install -y nginx-light haproxy)"));
    List<String> command = new ArrayList<>();
    if (scheduling != Scheduling.SHARED) {
      // this JVM's child is no process group leader, so setsid makes the session without forking, and chrt
      // execs too: the pid this object stops stays the referee's
      command.add(SETSID.orElseThrow(() -> new IOException("setsid (util-linux) is not installed: it runs the referee in its own session;"
          + " QUOTA_REFEREE_SCHEDULING=shared runs without")).toString());
    }
    if (scheduling == Scheduling.REALTIME) {
      command.addAll(List.of(CHRT.orElseThrow(() -> new IOException("chrt (util-linux) is not installed: QUOTA_REFEREE_SCHEDULING=realtime"
          + " needs it")).toString(), "-f", "50"));
    }
    this.backend = QuotaServer.backend(latencyMs);
    this.dir = Files.createTempDirectory("quota-" + kind.binary + "-");
    this.accessLog = dir.resolve("access.log");
    this.port = freePort();
    command.add(exe.toString());
    ProcessBuilder builder;
    if (kind == Kind.HAPROXY_WINDOW) {
      Path config = dir.resolve("haproxy.cfg");
      Files.writeString(config, haproxyConfig(perSecond), StandardCharsets.UTF_8);
      command.addAll(List.of("-db", "-f", config.toString()));
      builder = new ProcessBuilder(command).redirectOutput(accessLog.toFile()); // its log goes to stdout: one line per request
    } else {
      Path config = dir.resolve("nginx.conf");
      Files.writeString(config, nginxConfig(perSecond, kind == Kind.NGINX_BURST ? burst : 0), StandardCharsets.UTF_8);
      command.addAll(List.of("-p", dir.toString(), "-c", config.toString(), "-e", dir.resolve("error.log").toString()));
      builder = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout.log").toFile());
    }
    builder.redirectError(dir.resolve("stderr.log").toFile());
    this.process = builder.start();
    this.hook = new Thread(process::destroyForcibly, "stop " + kind.binary);
    Runtime.getRuntime().addShutdownHook(hook);
    awaitListening();
    reset();
  }

  private String nginxConfig(int perSecond, int burst) {
    String d = dir.toString();
    return String.join("\n",
        "daemon off;",
        "master_process off;",
        "worker_processes 1;",
        "pid " + d + "/nginx.pid;",
        "error_log " + d + "/error.log warn;",
        "events { worker_connections 2048; }",
        "http {",
        "  # the answer's time, status, the request's time (arrival = msec - request_time), the sending worker",
        "  log_format quota '$msec $status $request_time $http_x_worker';",
        "  access_log " + d + "/access.log quota;",
        "  client_body_temp_path " + d + "/body;",
        "  proxy_temp_path " + d + "/proxy;",
        "  fastcgi_temp_path " + d + "/fastcgi;",
        "  uwsgi_temp_path " + d + "/uwsgi;",
        "  scgi_temp_path " + d + "/scgi;",
        "  # every worker sends from 127.0.0.1: one key, the API's whole quota",
        kind == Kind.NGINX_CONN ? limitConnZone() : limitReqZone(perSecond),
        retryAfterSeconds > 0 ? "  map $status $retry_after { 429 \"" + retryAfterSeconds + "\"; default \"\"; } # empty: no header" : "",
        "  keepalive_timeout 300s;",
        "  keepalive_requests 100000;",
        "  upstream api { server 127.0.0.1:" + backend.port() + "; keepalive 64; }",
        "  server {",
        "    listen 127.0.0.1:" + port + ";",
        "    location / {",
        kind == Kind.NGINX_CONN ? "      limit_conn conns " + connCap + ";"
            : "      limit_req zone=quota" + (burst > 0 ? " burst=" + burst + " nodelay" : "") + ";",
        retryAfterSeconds > 0 ? "      add_header Retry-After $retry_after always;" : "",
        "      proxy_pass http://api;",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Connection \"\";",
        "    }",
        "  }",
        "}",
        "");
  }

  private static String limitReqZone(int perSecond) {
    return String.join("\n",
        "  limit_req_zone $binary_remote_addr zone=quota:1m rate=" + perSecond + "r/s;",
        "  limit_req_status 429;",
        "  limit_req_log_level info;");
  }

  private static String limitConnZone() {
    return String.join("\n",
        "  # a request counts from its header's reading to its end (its answer sent and logged)",
        "  limit_conn_zone $binary_remote_addr zone=conns:1m;",
        "  limit_conn_status 429;",
        "  # each refusal leaves 'limiting connections by zone \"conns\"' in error.log (the default level, above warn)",
        "  limit_conn_log_level error;");
  }

  private String haproxyConfig(int perSecond) {
    return String.join("\n",
        "global",
        "  log stdout format raw local0 info",
        "  maxconn 4096",
        "defaults",
        "  mode http",
        "  log global",
        "  # the answer's accept time, status, the arrival (epoch ms, set below), the sending worker",
        "  log-format \"%Ts.%ms %ST %[var(txn.arrival)] %[var(txn.worker)]\"",
        "  option http-keep-alive",
        "  timeout connect 5s",
        "  timeout client 300s",
        "  timeout server 300s",
        "  timeout http-keep-alive 300s",
        "frontend quota",
        "  bind 127.0.0.1:" + port,
        "  # every worker sends from 127.0.0.1: one entry, the API's whole quota",
        "  stick-table type ip size 1k expire 10s store http_req_rate(1s)",
        "  http-request set-var(txn.arrival) date(0,ms)",
        "  http-request set-var(txn.worker) req.hdr(X-Worker)",
        "  http-request track-sc0 src",
        "  http-request deny deny_status 429" + (retryAfterSeconds > 0 ? " hdr Retry-After " + retryAfterSeconds : "")
            + " if { sc_http_req_rate(0) gt " + perSecond + " }",
        "  default_backend api",
        "backend api",
        "  http-reuse always",
        "  server api 127.0.0.1:" + backend.port() + " maxconn 512",
        "");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + START_BOUND.toNanos();
    while (true) {
      if (!process.isAlive()) {
        String why = diagnostics();
        close();
        throw new IOException(kind.binary + " exited with " + process.exitValue() + " at start:\n" + why);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          String why = diagnostics();
          close();
          throw new IOException(kind.binary + " not listening on " + port + " after " + START_BOUND.toSeconds() + " s:\n" + why);
        }
        try {
          TimeUnit.MILLISECONDS.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  private String diagnostics() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("stderr.log", "error.log", "stdout.log")) {
      try {
        Path p = dir.resolve(name);
        if (Files.exists(p)) {
          out.append(name).append(": ").append(Files.readString(p)).append('\n');
        }
      } catch (IOException ignored) {
        // best effort
      }
    }
    return out.toString();
  }

  @Override
  public String url() {
    return "http://127.0.0.1:" + port + "/quota";
  }

  @Override
  public void reset() {
    backend.reset();
    markEpochSeconds = System.currentTimeMillis() / 1000.0;
  }

  /** {total, refused} among the log's lines since the mark. */
  private long[] countLog() {
    long[] counts = new long[2];
    double mark = markEpochSeconds;
    try (Stream<String> lines = Files.lines(accessLog, StandardCharsets.ISO_8859_1)) {
      lines.forEach(line -> {
        String[] parts = line.trim().split("\\s+");
        if (parts.length < 2) {
          return; // a notice, not a request
        }
        try {
          if (Double.parseDouble(parts[0]) >= mark) {
            counts[0]++;
            if (parts[1].equals("429") || parts[1].equals("503")) {
              counts[1]++;
            }
          }
        } catch (NumberFormatException notARequest) {
          // haproxy's start-up notices share the stream
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return counts;
  }

  @Override
  public long resetEpochMicros() {
    return Math.round(markEpochSeconds * 1_000_000);
  }

  /**
   * Every request the log shows arriving since the mark: nginx's arrival is {@code $msec - $request_time}
   * (limit_req and limit_conn decide as the request's header is read) and its answer {@code $msec}, haproxy's
   * arrival the date its {@code http-request} rules ran (its answer unknown: -1).
   */
  @Override
  public List<Arrival> arrivals() {
    long mark = resetEpochMicros();
    List<Arrival> out = new ArrayList<>();
    try (Stream<String> lines = Files.lines(accessLog, StandardCharsets.ISO_8859_1)) {
      lines.forEach(line -> {
        String[] parts = line.trim().split("\\s+");
        if (parts.length < 4) {
          return; // a notice, not a request
        }
        try {
          long arrival = kind == Kind.HAPROXY_WINDOW ? Long.parseLong(parts[2]) * 1000
              : Math.round((Double.parseDouble(parts[0]) - Double.parseDouble(parts[2])) * 1_000_000);
          if (arrival < mark) {
            return;
          }
          int worker = parts[3].matches("[0-9]{1,6}") ? Integer.parseInt(parts[3]) : 0;
          boolean refused = parts[1].equals("429") || parts[1].equals("503");
          long answer = kind == Kind.HAPROXY_WINDOW ? -1 : Math.round(Double.parseDouble(parts[0]) * 1_000_000);
          out.add(new Arrival(arrival, worker, parts[1].equals("200"), refused, answer));
        } catch (NumberFormatException notARequest) {
          // haproxy's start-up notices share the stream
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(Comparator.comparingLong(Arrival::epochMicros));
    return out;
  }

  @Override
  public long attempts() {
    return countLog()[0];
  }

  @Override
  public long refused() {
    return countLog()[1];
  }

  @Override
  public long ok() {
    return backend.ok();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    backend.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s on 127.0.0.1:%d in front of 127.0.0.1:%d", kind, port, backend.port());
  }
}
