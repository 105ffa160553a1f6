package io.ratelimit.hazelcast;

import io.ratelimit.settings.Setting;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingSource;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.SettingsSource;
import io.ratelimit.settings.ValueParsers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How this JVM joins the run's cluster, immutable; read from the {@code PYTEST_CLUSTER_*} environment
 * (or {@code ratelimit.cluster-*} properties) with {@link #from(SettingsSource)}, validated once.
 */
public final class ClusterSettings {
  /**
   * How long a member or client of the run's cluster may go unheard (no heartbeat) before the others drop
   * it and free what it held: Hazelcast's heartbeat timeout, the same for members and clients. A JVM that
   * was frozen for a good part of it (a long GC pause, a stopped process) may have been dropped.
   */
  public static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);

  static final SettingKey MODE = SettingKey.of("cluster-mode");
  static final SettingKey SECRET = SettingKey.of("cluster-secret");
  static final SettingKey RUN_ID = SettingKey.of("run-id");
  static final SettingKey PORT = SettingKey.of("cluster-port");
  static final SettingKey PORT_COUNT = SettingKey.of("cluster-port-count");
  static final SettingKey MEMBERS = SettingKey.of("cluster-members");
  static final SettingKey INTERFACE = SettingKey.of("cluster-interface");
  static final SettingKey ADDRESS = SettingKey.of("cluster-address");
  static final SettingKey JOIN_TIMEOUT = SettingKey.of("cluster-join-timeout");
  static final SettingKey RUN_DIR = SettingKey.of("run-dir");
  static final SettingKey RUN_GRACE = SettingKey.of("run-grace");

  private final ClusterMode mode;
  private final JoinSecret secret; // PYTEST_CLUSTER_SECRET, or null; never shown
  private final Setting<String> runId;
  private final int basePort;
  private final int portCount;
  private final List<String> members;
  private final String bindInterface;
  private final List<String> clientAddresses;
  private final Duration joinTimeout;
  private final Path runDirectory;
  private final Duration runGrace;

  private ClusterSettings(Builder b) {
    this.mode = b.mode;
    this.secret = b.secret;
    this.runId = b.runId;
    this.basePort = b.basePort;
    this.portCount = b.portCount;
    this.members = List.copyOf(b.members);
    this.bindInterface = b.bindInterface;
    this.clientAddresses = List.copyOf(b.clientAddresses);
    this.joinTimeout = b.joinTimeout;
    this.runGrace = b.runGrace;
    this.runDirectory = b.runDirectory; // null: the user's default root, resolved on first use (it creates folders)
  }

  /** Settings from system properties and the environment. */
  public static ClusterSettings fromEnvironment() {
    return from(SettingsSource.system());
  }

  /**
   * Settings from {@code source}.
   *
   * @throws io.ratelimit.settings.InvalidSettingsException naming every bad value
   */
  public static ClusterSettings from(SettingsSource source) {
    SettingsReader reader = new SettingsReader(source);
    Builder b = new Builder();
    b.mode = reader.read(MODE, ClusterMode.MACHINE, ValueParsers.choice(ClusterMode.class)).value();
    b.runId = reader.readOptional(RUN_ID, ValueParsers.matching("[A-Za-z0-9._-]{1,64}",
        "1 to 64 letters, digits, dots, dashes or underscores")).orElse(b.runId);
    b.basePort = reader.read(PORT, b.basePort, ValueParsers.integer(1024, 65_535)).value();
    Setting<Integer> count = reader.read(PORT_COUNT, b.portCount, ValueParsers.integer(1, 1_000));
    b.portCount = count.value();
    b.members = reader.read(MEMBERS, List.of(), ValueParsers.addresses()).value();
    // from the environment only, never echoed; an empty value (a CI secret store without it) counts as unset
    reader.readSecret(SECRET, JoinSecret.parser()).ifPresent(s -> b.secret = s.value());
    boolean secretGiven = source.lookup(SECRET).filter(raw -> !raw.text().isBlank()).isPresent();
    var bindInterface = reader.readOptional(INTERFACE, ValueParsers.matching("[0-9]{1,3}(\\.[0-9]{1,3}){3}",
        "an IPv4 address of this machine, e.g. 10.0.0.5"));
    bindInterface.ifPresent(i -> b.bindInterface = i.value());
    b.clientAddresses = reader.read(ADDRESS, List.of(), ValueParsers.addresses()).value();
    b.joinTimeout = reader.read(JOIN_TIMEOUT, b.joinTimeout, ValueParsers.seconds(0.5, 600)).value();
    reader.readOptional(RUN_DIR, ValueParsers.matching("[^\\u0000]{1,4096}", "a directory path")).ifPresent(dir -> {
      b.runDirectory = Path.of(dir.value());
      if (java.nio.file.Files.exists(b.runDirectory, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        // another user's folder, or one others may write or swap, would hand them the run's state and secret
        PrivateDirectories.problem(b.runDirectory).ifPresent(problem -> reader.reject(dir, dir.value(),
            "a directory of this user's that no one else can write, not a symbolic link (this one " + problem + ")"));
      }
    });
    b.runGrace = reader.read(RUN_GRACE, b.runGrace, ValueParsers.seconds(0, 3_600)).value();
    if (b.basePort + b.portCount - 1 > 65_535) {
      reader.reject(count, Integer.toString(b.portCount), "a count that keeps the range within 65535 (base port " + b.basePort + ")");
    }
    if (b.mode == ClusterMode.MEMBERS && b.members.isEmpty()) {
      reader.reject(new Setting<>(MEMBERS, "", SettingSource.DEFAULT), "", "a member list when " + MODE.environment() + "=members");
    }
    if (b.mode == ClusterMode.MEMBERS && bindInterface.isEmpty()) {
      reader.reject(new Setting<>(INTERFACE, "", SettingSource.DEFAULT), "",
          "this machine's address to bind to when " + MODE.environment() + "=members (never a wildcard by default)");
    }
    if (b.mode == ClusterMode.MEMBERS && !secretGiven) {
      // members on other machines cannot read this machine's run directory: each would draw its own secret
      reader.missing(SECRET, "the run's join secret when " + MODE.environment() + "=members, the same on every machine, "
          + "from the CI's secret store: " + JoinSecret.ACCEPTED);
    }
    if (b.mode == ClusterMode.CLIENT && b.clientAddresses.isEmpty()) {
      reader.reject(new Setting<>(ADDRESS, "", SettingSource.DEFAULT), "", "the cluster's addresses when " + MODE.environment() + "=client");
    }
    reader.throwIfInvalid();
    return b.build();
  }

  /** A builder with the defaults: machine mode (the run directory; members on loopback ports 5801-5832 when asked for), a derived run identity. */
  public static Builder builder() {
    return new Builder();
  }

  /** How this JVM shares the state. */
  public ClusterMode mode() {
    return mode;
  }

  /** {@code PYTEST_RUN_ID}, or the identity derived from the build (see {@link RunIdentity}). */
  public String runId() {
    return runId.value();
  }

  /** Where the run id came from. */
  public SettingSource runIdSource() {
    return runId.source();
  }

  /**
   * The cluster's name for people: {@code ratelimit-} and the run id, for every message and report. The name
   * Hazelcast uses also holds the join secret (see {@link RunSecret}) and is never shown.
   */
  public String displayName() {
    return "ratelimit-" + runId.value();
  }

  /** {@code PYTEST_CLUSTER_SECRET}, if set; see {@link RunSecret} for where the secret comes from otherwise. */
  Optional<JoinSecret> secret() {
    return Optional.ofNullable(secret);
  }

  /** {@code PYTEST_CLUSTER_PORT}: first port of the range members bind in and look for peers on. */
  public int basePort() {
    return basePort;
  }

  /** {@code PYTEST_CLUSTER_PORT_COUNT}: ports in the range. */
  public int portCount() {
    return portCount;
  }

  /** {@code PYTEST_CLUSTER_MEMBERS}: the member list in {@link ClusterMode#MEMBERS} mode. */
  public List<String> members() {
    return members;
  }

  /** {@code PYTEST_CLUSTER_INTERFACE}: the address members bind to ({@code 127.0.0.1} unless set). */
  public String bindInterface() {
    return bindInterface;
  }

  /** {@code PYTEST_CLUSTER_ADDRESS}: the existing cluster's addresses in {@link ClusterMode#CLIENT} mode. */
  public List<String> clientAddresses() {
    return clientAddresses;
  }

  /**
   * {@code PYTEST_CLUSTER_JOIN_TIMEOUT}: bound on forming, joining or connecting (and, in ratelimit-core, on
   * trying again after the cluster is lost); then an embedded run stays on its run directory, and a
   * {@code members} or {@code client} worker refuses to send.
   */
  public Duration joinTimeout() {
    return joinTimeout;
  }

  /**
   * {@code PYTEST_RUN_DIR}: where the JVMs of the run on this machine meet (a lock, the member list, the
   * state kept before and without a cluster); by default {@code <run id>} in this user's private folder (see
   * {@link PrivateDirectories#defaultRoot()}). Created {@code 700}, its files {@code 600}.
   */
  public Path runDirectory() {
    return runDirectory != null ? runDirectory : PrivateDirectories.defaultRoot().resolve(runId.value());
  }

  /**
   * {@code PYTEST_RUN_GRACE}: how long a run whose JVMs have all ended waits for another JVM of its build
   * (Surefire's {@code reuseForks=false} starts the next fork after the last one ended) before the next JVM
   * to come retires it and starts a new run; 10 s unless set.
   */
  public Duration runGrace() {
    return runGrace;
  }

  @Override
  public String toString() {
    return "cluster " + displayName() + " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ", run id from "
        + runId.source().label() + ", ports " + basePort + "-" + (basePort + portCount - 1) + " on " + bindInterface + ")";
  }

  /** Builds {@link ClusterSettings}. */
  public static final class Builder {
    private ClusterMode mode = ClusterMode.MACHINE;
    private JoinSecret secret;
    private Setting<String> runId; // derived at build() when none is given: walking the process tree costs a little
    private int basePort = 5801;
    private int portCount = 32;
    private List<String> members = List.of();
    private String bindInterface = "127.0.0.1";
    private List<String> clientAddresses = List.of();
    private Duration joinTimeout = Duration.ofSeconds(10);
    private Path runDirectory;
    private Duration runGrace = RunDirectory.DEFAULT_GRACE;

    private Builder() {}

    /** See {@link ClusterSettings#mode()}. */
    public Builder mode(ClusterMode mode) {
      this.mode = Objects.requireNonNull(mode);
      return this;
    }

    /**
     * The run's join secret, as {@code PYTEST_CLUSTER_SECRET} gives it (required in {@link ClusterMode#MEMBERS} mode).
     *
     * @throws IllegalArgumentException when it is not acceptable; the message never shows it
     */
    public Builder secret(String secret) {
      this.secret = JoinSecret.of(Objects.requireNonNull(secret, "secret"));
      return this;
    }

    /** See {@link ClusterSettings#runId()}. */
    public Builder runId(String runId) {
      this.runId = Setting.ofBuilder(RUN_ID, Objects.requireNonNull(runId));
      return this;
    }

    /** See {@link ClusterSettings#basePort()} and {@link ClusterSettings#portCount()}. */
    public Builder ports(int basePort, int portCount) {
      this.basePort = basePort;
      this.portCount = portCount;
      return this;
    }

    /** See {@link ClusterSettings#members()}. */
    public Builder members(List<String> members, String bindInterface) {
      this.members = List.copyOf(members);
      this.bindInterface = Objects.requireNonNull(bindInterface);
      return this;
    }

    /** See {@link ClusterSettings#clientAddresses()}. */
    public Builder clientAddresses(List<String> addresses) {
      this.clientAddresses = List.copyOf(addresses);
      return this;
    }

    /** See {@link ClusterSettings#joinTimeout()}. */
    public Builder joinTimeout(Duration joinTimeout) {
      this.joinTimeout = Objects.requireNonNull(joinTimeout);
      return this;
    }

    /** See {@link ClusterSettings#runDirectory()}. */
    public Builder runDirectory(Path runDirectory) {
      this.runDirectory = Objects.requireNonNull(runDirectory);
      return this;
    }

    /** See {@link ClusterSettings#runGrace()}. */
    public Builder runGrace(Duration runGrace) {
      this.runGrace = Objects.requireNonNull(runGrace);
      return this;
    }

    /** The settings. */
    public ClusterSettings build() {
      if (runId == null) {
        runId = new Setting<>(RUN_ID, RunIdentity.derive(), SettingSource.DEFAULT);
      }
      if (basePort < 1 || portCount < 1 || basePort + portCount - 1 > 65_535) {
        throw new IllegalArgumentException("invalid port range " + basePort + " + " + portCount);
      }
      if (mode == ClusterMode.MEMBERS && secret == null) {
        throw new IllegalArgumentException("members mode needs the run's join secret (secret(...), or PYTEST_CLUSTER_SECRET)");
      }
      if (joinTimeout.isNegative() || joinTimeout.isZero()) {
        throw new IllegalArgumentException("join timeout must be positive: " + joinTimeout);
      }
      return new ClusterSettings(this);
    }
  }
}
