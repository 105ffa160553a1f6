package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.internal.state.RunRecords;
import io.ratelimit.core.internal.state.RunModes;
import io.ratelimit.core.internal.state.Permits;
import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import io.ratelimit.core.internal.state.AttemptWindow;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.internal.stats.StatsCodec;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.hazelcast.RunDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;

/**
 * Limiter state shared by the JVMs of one run on one machine through the run directory: every change is
 * made under the directory's state lock (exact across processes), permits and leases name the
 * participant holding them and die with its process, waiters queue in the order they asked, as in the
 * cluster. Ready as soon as the directory is, with no member to start: the run's state on one machine
 * for the whole run (it never moves). A directory that a standalone {@code ClusterMember} declared for its
 * cluster ({@link RunFile.Epoch#CLUSTER}) is not used: every call here throws {@link InItsCluster}, and
 * the caller joins that cluster.
 */
public final class RunDirectoryState implements LimiterState, RunModes, RunRecords {
  private static final Logger LOG = Logs.get(RunDirectoryState.class);
  static final String STATE = "state";
  static final String STATE_FILE = "state.bin";
  /** Holders keep the lock for microseconds; a JVM stopped while holding it must not hang the build. */
  static final Duration LOCK_BOUND = Duration.ofSeconds(30);
  private static final Duration FLUSH_INTERVAL = Duration.ofMillis(500);
  /**
   * The first flush waits for this JVM's first answer, at most this long: the JSON codec's start (about
   * 0.2 CPU s) would compete with the first requests of the forks starting beside it, and before the first
   * answer there is little to lose.
   */
  private static final Duration FIRST_FLUSH_BOUND = Duration.ofSeconds(10);

  private final RunDirectory dir;
  private final String participant;
  private final String workerId;
  private final StatsRecorder recorder;
  private final Liveness liveness = new Liveness();
  private final RunDirectoryPermits permits;
  private final ChangeBell bell;
  private final StartTimes starts;
  private final RunDirectoryLeaseStore leases;
  private final ScheduledExecutorService background;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final boolean participating;
  private volatile RunMode runMode = RunMode.PARALLEL;
  private volatile long window;
  private volatile String lastFlushed = "";
  private volatile boolean answered;
  /** This JVM started the run (said once, at the first flush). */
  private boolean startedTheRun;
  private final long startedNanos = System.nanoTime();

  /** The call could not be made here: a standalone member declared this run directory for its cluster. */
  public static final class InItsCluster extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InItsCluster() {
      super("the run's state is kept in its cluster", null, false, false);
    }
  }

  /**
   * Registers a participant of this JVM in {@code dir}.
   *
   * @param workerId this JVM's worker id: the key of its counters and documents
   * @param recorder this JVM's counters
   */
  public RunDirectoryState(RunDirectory dir, String workerId, StatsRecorder recorder) {
    this(dir, workerId, recorder, true);
  }

  /**
   * A view of {@code dir}'s state that takes no part in the run (it is not counted among its JVMs): for
   * the lease command.
   */
  public static RunDirectoryState observer(RunDirectory dir) {
    return new RunDirectoryState(dir, "observer", new StatsRecorder(), false);
  }

  private RunDirectoryState(RunDirectory dir, String workerId, StatsRecorder recorder, boolean participate) {
    this.dir = dir;
    this.participant = RunEntry.newParticipant();
    this.participating = participate;
    RunDirectory.Entry entry = participate ? dir.enter(participant) : RunDirectory.Entry.JOINED;
    // said at the first flush, not now: asking the logging back-end whether DEBUG is on starts it, and its
    // start (configuration, date formats) would cost this fork's first request tens of milliseconds
    this.startedTheRun = entry == RunDirectory.Entry.NEW_RUN;
    if (entry == RunDirectory.Entry.RESUMED) {
      RunEntry.reopen(dir);
    }
    this.workerId = participate ? RunEntry.uniqueWorkerId(dir, workerId) : workerId;
    this.recorder = recorder;
    this.leases = new RunDirectoryLeaseStore(this);
    this.permits = new RunDirectoryPermits(this);
    this.bell = ChangeBell.in(dir);
    this.starts = StartTimesFile.in(dir);
    if (participate) {
      try {
        update(file -> file.participants.put(participant, ""));
      } catch (InItsCluster declared) {
        dir.leave(participant); // the caller joins the run's cluster instead
        throw declared;
      }
    }
    this.background = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ratelimit-run-directory");
      t.setDaemon(true);
      return t;
    });
    if (participate) {
      // the first tick a little later; its first flush waits for the first answer (FIRST_FLUSH_BOUND)
      background.scheduleWithFixedDelay(this::tick, 4 * FLUSH_INTERVAL.toMillis(), FLUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** This JVM's worker id in the run: the one asked for, made unique among the run's JVMs (see {@link RunEntry#uniqueWorkerId}). */
  public String workerId() {
    return workerId;
  }

  /**
   * Changes the state under the lock and writes it back if changed.
   *
   * @throws InItsCluster when a standalone member declared the run for its cluster
   */
  <T> T update(Function<RunFile, T> change) {
    return dir.locked(STATE, LOCK_BOUND, () -> {
      byte[] before = dir.readBytes(STATE_FILE);
      RunFile file = RunFile.parse(before);
      if (file.epoch == RunFile.Epoch.CLUSTER) {
        throw new InItsCluster();
      }
      T result = change.apply(file);
      byte[] after = file.toBytes();
      if (!java.util.Arrays.equals(after, before)) {
        dir.writeBytes(STATE_FILE, after);
      }
      if (file.mode != null || runMode.sequential()) {
        runMode = StatsCodec.modeFromJson(file.mode);
      }
      window = file.window;
      return result;
    });
  }

  boolean isLive(String holder) {
    return liveness.isAlive(holder);
  }

  /** The bells a release rings for the JVM whose waiter is next in line. */
  ChangeBell bell() {
    return bell;
  }

  /** When each API's latest request left, as the run's JVMs on this machine note it. */
  public StartTimes starts() {
    return starts;
  }

  /** This JVM's first request was answered (a permit came back): its first flush need wait no longer. */
  void answered() {
    answered = true;
  }

  /** This participant's name in the run directory: process and a counter. */
  String participantName() {
    return participant;
  }

  @Override
  public Permits permits() {
    return permits;
  }

  @Override
  public RunModes modes() {
    return this;
  }

  @Override
  public RunRecords records() {
    return this;
  }

  // ---- run mode and the window of recent attempts

  @Override
  public AttemptWindow recentAttempts() {
    return new AttemptWindow() {
      @Override
      public void record(boolean rateLimited) {
        try {
          background.execute(() -> {
            try {
              update(file -> file.window = AttemptWindow.append(file.window, rateLimited));
            } catch (RuntimeException e) {
              LOG.debug("could not record an outcome: {}", e.toString()); // closing; the request is not
            }
          });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // this JVM is leaving the run: its last outcomes no longer count
        }
      }

      @Override
      public Share share() {
        return AttemptWindow.share(window);
      }
    };
  }

  @Override
  public RunMode runMode() {
    return runMode;
  }

  @Override
  public RunMode switchToSequential(RunMode sequential) {
    return update(file -> {
      if (!StatsCodec.modeFromJson(file.mode).sequential()) {
        file.mode = StatsCodec.modeToJson(sequential);
      }
      return StatsCodec.modeFromJson(file.mode);
    });
  }

  // ---- statistics, documents, claims

  @Override
  public RateLimitStats statistics() {
    flush();
    Map<String, Map<String, ApiStats>> byWorker = new TreeMap<>();
    readAll(dir.path().resolve("stats")).forEach((worker, text) -> byWorker.put(worker, StatsFile.read(text)));
    Map<String, ApiStats> own = recorder.snapshot();
    if (!own.isEmpty()) {
      byWorker.put(workerId, own);
    }
    return new RateLimitStats(coordination(), byWorker);
  }

  /** Where the state is kept, and how many JVMs of the run it has now. */
  public String coordination() {
    return "run directory " + dir.path() + " (" + participants() + " JVMs)";
  }

  /** The run's JVMs on this machine now: those that started and have not left or died. */
  public int participants() {
    return update(file -> {
      file.participants.keySet().removeIf(p -> !liveness.isAlive(p));
      return file.participants.size();
    });
  }

  /** Writes this worker's counters to its own file, when they changed. */
  void flush() {
    Map<String, ApiStats> snapshot = recorder.snapshot();
    if (snapshot.isEmpty()) {
      return;
    }
    String text = StatsFile.write(snapshot);
    if (!text.equals(lastFlushed)) {
      update(file -> {
        dir.write("stats/" + encode(workerId), text);
        return null;
      });
      lastFlushed = text;
    }
  }

  @Override
  public void publish(String kind, String document) {
    update(file -> {
      dir.write("documents/" + encode(kind) + "/" + encode(workerId), document);
      return null;
    });
  }

  @Override
  public Map<String, String> published(String kind) {
    return update(file -> readAll(dir.path().resolve("documents").resolve(encode(kind))));
  }

  @Override
  public boolean claim(String key) {
    return update(file -> dir.createOnce("claims/" + encode(key), workerId));
  }

  @Override
  public RunDirectoryLeaseStore leases() {
    return leases;
  }

  /** True when a standalone member declared the run of {@code dir} for its cluster (see {@link #declareCluster}). */
  public static boolean declaresCluster(RunDirectory dir) {
    return dir.locked(STATE, LOCK_BOUND, () -> RunFile.parse(dir.readBytes(STATE_FILE)).epoch == RunFile.Epoch.CLUSTER);
  }

  /**
   * Declares the run directory {@code dir} for a cluster (an embedded run's, or a standalone member's), when
   * no JVM of the run keeps its state here (machine mode): every worker of the run on this machine then
   * joins that cluster before it sends anything, and no state here is used.
   *
   * @return true if the run is declared for its cluster now; false if machine-mode JVMs of the run keep its
   *     state here (the caller must then keep it here too: two states would each allow the whole limits)
   */
  public static boolean declareCluster(RunDirectory dir) {
    return dir.locked(STATE, LOCK_BOUND, () -> {
      RunFile file = RunFile.parse(dir.readBytes(STATE_FILE));
      if (file.epoch == RunFile.Epoch.CLUSTER) {
        return true;
      }
      file.participants.keySet().removeIf(p -> !RunDirectory.isAlive(p.substring(0, p.indexOf('#'))));
      if (!file.participants.isEmpty()) {
        return false;
      }
      file.epoch = RunFile.Epoch.CLUSTER;
      dir.writeBytes(STATE_FILE, file.toBytes());
      return true;
    });
  }

  private void tick() {
    try {
      if (answered || System.nanoTime() - startedNanos >= FIRST_FLUSH_BOUND.toNanos()) {
        if (startedTheRun) {
          startedTheRun = false;
          LOG.debug("ratelimit-testkit: no run was going on in {}; this JVM started one there", dir.path());
        }
        flush();
      }
      update(file -> {
        file.participants.keySet().removeIf(p -> !liveness.isAlive(p));
        return null;
      });
    } catch (RuntimeException e) {
      LOG.debug("run directory tick: {}", e.toString());
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    background.shutdownNow();
    try {
      flush(); // the next fork of the build may take the run up from here
      update(file -> {
        file.participants.remove(participant);
        file.permits.values().forEach(p -> p.held.values().removeIf(participant::equals));
        file.leases.values().forEach(table -> table.values().removeIf(lease -> lease.holder().equals(participant)));
        return null;
      });
    } catch (RuntimeException e) {
      LOG.debug("run directory gone while closing: {}", e.toString());
    } finally {
      if (participating) {
        try {
          dir.leave(participant);
        } catch (RuntimeException e) {
          LOG.debug("could not leave the run directory: {}", e.toString());
        }
      }
    }
  }

  // ---- files

  static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  static String decode(String name) {
    return URLDecoder.decode(name, StandardCharsets.UTF_8);
  }

  static Map<String, String> readAll(Path directory) {
    Map<String, String> out = new TreeMap<>();
    if (!Files.isDirectory(directory)) {
      return out;
    }
    try (Stream<Path> files = Files.list(directory)) {
      for (Iterator<Path> it = files.iterator(); it.hasNext(); ) {
        Path file = it.next();
        String name = file.getFileName().toString();
        if (!name.endsWith(".tmp")) {
          out.put(decode(name), Files.readString(file, StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

}
