package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.ApiStats;
import io.ratelimit.core.RateLimitStats;
import io.ratelimit.core.RunMode;
import io.ratelimit.core.internal.ApiLimits;
import io.ratelimit.core.internal.AttemptWindow;
import io.ratelimit.core.internal.LimiterState;
import io.ratelimit.core.spi.Logs;
import io.ratelimit.core.internal.Permit;
import io.ratelimit.core.internal.Pacing;
import io.ratelimit.core.internal.StartSlots;
import io.ratelimit.core.internal.StatsRecorder;
import io.ratelimit.core.internal.TurnTaking;
import io.ratelimit.core.internal.WaitCondition;
import io.ratelimit.core.internal.cluster.AppendOutcome;
import io.ratelimit.core.internal.cluster.StatsCodec;
import io.ratelimit.hazelcast.RunDirectory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;

/**
 * Limiter state shared by the JVMs of one run on one machine through the run directory: every change is
 * made under the directory's state lock (exact across processes), permits and leases name the
 * participant holding them and die with its process, waiters queue in the order they asked, as in the
 * cluster. Ready as soon as the directory is: the state a worker uses while its cluster member starts,
 * and for the whole run when no cluster can form. Once every participant has joined the cluster, one of
 * them carries this state over and marks the directory {@link RunFile.Epoch#CLUSTER}: from then on every
 * call here throws {@link MovedToCluster} and the caller goes to the cluster.
 */
public final class RunDirectoryState implements LimiterState {
  private static final Logger LOG = Logs.get(RunDirectoryState.class);
  static final String STATE = "state";
  static final String STATE_FILE = "state.bin";
  /** Holders keep the lock for microseconds; a JVM stopped while holding it must not hang the build. */
  static final Duration LOCK_BOUND = Duration.ofSeconds(30);
  private static final long TICKET_MILLIS = 1_000;
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /** Earliest slot ahead of now: covers the file lock and the trip back to the caller. */
  private static final long MAX_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final Duration FLUSH_INTERVAL = Duration.ofMillis(500);
  /**
   * The first flush waits for this JVM's first answer, at most this long: the JSON codec's start (about
   * 0.2 CPU s) would compete with the first requests of the forks starting beside it, and before the first
   * answer there is little to lose.
   */
  private static final Duration FIRST_FLUSH_BOUND = Duration.ofSeconds(10);
  private static final AtomicInteger PARTICIPANTS = new AtomicInteger();

  private final RunDirectory dir;
  private final String participant;
  private final String workerId;
  private final StatsRecorder recorder;
  private final Map<String, ReentrantLock> turns = new ConcurrentHashMap<>();
  private final Liveness liveness = new Liveness();
  private final ChangeBell bell;
  private final RunDirectoryLeaseStore leases;
  private final ScheduledExecutorService background;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicLong leaseIds = new java.util.concurrent.atomic.AtomicLong();
  private final boolean participating;
  private volatile RunMode runMode = RunMode.PARALLEL;
  private volatile long window;
  private volatile boolean moved;
  private volatile String lastFlushed = "";
  private volatile boolean answered;
  /** This JVM started the run (said once, at the first flush). */
  private boolean startedTheRun;
  private final long startedNanos = System.nanoTime();
  private volatile Runnable onMoved = () -> { };
  private volatile String joinedAs;
  private volatile Carrier carrier;

  /** The call could not be made here: the run's state lives in the cluster now. */
  public static final class MovedToCluster extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MovedToCluster() {
      super("the run's state has moved to its cluster", null, false, false);
    }
  }

  /** Takes the run's state over into the cluster, under the state lock, once every participant has joined. */
  @FunctionalInterface
  public interface Carrier {
    /**
     * @param state the run directory's state; permit and lease holders are participants, {@link RunFile#participants} gives their members
     * @param statistics every worker's last counters, as JSON, by worker id
     * @param documents every published document by kind, then worker id
     * @param claims every claimed key to the worker that claimed it
     */
    void carry(RunFile state, Map<String, String> statistics, Map<String, Map<String, String>> documents, Map<String, String> claims);
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
   * A view of {@code dir}'s state that takes no part in the run (it holds nothing back from the move):
   * for the lease command.
   */
  public static RunDirectoryState observer(RunDirectory dir) {
    return new RunDirectoryState(dir, "observer", new StatsRecorder(), false);
  }

  private RunDirectoryState(RunDirectory dir, String workerId, StatsRecorder recorder, boolean participate) {
    this.dir = dir;
    this.participant = RunDirectory.thisProcess() + "#" + PARTICIPANTS.incrementAndGet();
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
    this.bell = ChangeBell.in(dir);
    if (participate) {
      try {
        update(file -> file.participants.put(participant, ""));
      } catch (MovedToCluster late) {
        // the others have moved to the cluster already: this JVM works there once it has joined
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

  /** The run directory. */
  public RunDirectory directory() {
    return dir;
  }

  /** True once the run's state has moved to the cluster (as far as this JVM has seen). */
  public boolean hasMoved() {
    return moved;
  }

  /**
   * Changes the state under the lock and writes it back if changed.
   *
   * @throws MovedToCluster when the state has moved to the cluster
   */
  <T> T update(Function<RunFile, T> change) {
    if (moved) {
      throw new MovedToCluster();
    }
    return dir.locked(STATE, LOCK_BOUND, () -> {
      byte[] before = dir.readBytes(STATE_FILE);
      RunFile file = RunFile.parse(before);
      if (file.epoch == RunFile.Epoch.CLUSTER) {
        moved = true;
        throw new MovedToCluster();
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

  /** This participant's name in the run directory: process and a counter. */
  String participantName() {
    return participant;
  }

  // ---- permits and start slots

  @Override
  public Optional<Permit> acquirePermit(String name, int cap, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return acquire(name, cap, Pacing.Params.fixed(0), maxWait, condition).map(Admission::permit);
  }

  @Override
  public Optional<Admission> admit(ApiLimits limits, Duration maxWait, WaitCondition condition) throws InterruptedIOException {
    return acquire(limits.permitName(), limits.maxInFlight(), limits.pacing(), maxWait, condition);
  }

  /** A granted permit's lease id, for a carried-over release. */
  public record Held(String name, String leaseId) {}

  private Optional<Admission> acquire(String name, int cap, Pacing.Params pacing, Duration maxWait, WaitCondition condition)
      throws InterruptedIOException {
    // unique in the run by the participant's name (process, start, counter): no UUID, whose SecureRandom would
    // cost a cold JVM's first request tens of milliseconds
    String leaseId = participant + "/" + leaseIds.incrementAndGet();
    ReentrantLock turn = turns.computeIfAbsent(name, n -> new ReentrantLock(true));
    // the head of this JVM's line waits for the bell a release rings, and polls every 1 ms backing off to 10 ms
    // for what rings nothing (a holder that died, a lapsed ticket)
    long[] pause = {TimeUnit.MILLISECONDS.toNanos(1)};
    long[] seen = {bell.rung()};
    return TurnTaking.acquire(turn, System.nanoTime() + maxWait.toNanos(), condition, TICKET_MILLIS,
        ticket -> {
          seen[0] = bell.rung(); // before the look: a release during it rings after this
          return tryAcquire(name, cap, leaseId, ticket, pacing);
        }, left -> {
          bell.await(seen[0], Math.min(left, pause[0]));
          pause[0] = Math.min(pause[0] * 2, MAX_PAUSE_NANOS);
          if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a permit");
          }
        }, () -> withdraw(name, leaseId));
  }

  private Optional<Admission> tryAcquire(String name, int cap, String leaseId, long ticketMillis, Pacing.Params pacing) {
    Pacing.Slot slot = update(file -> {
      long now = System.currentTimeMillis();
      RunFile.Permits permits = file.permits.computeIfAbsent(name, n -> new RunFile.Permits());
      permits.waiting.values().removeIf(lapse -> lapse <= now);
      if (permits.held.size() >= cap) {
        permits.held.values().removeIf(holder -> !liveness.isAlive(holder)); // a killed JVM's permits come back
      }
      boolean turnCame = permits.waiting.isEmpty() || permits.waiting.keySet().iterator().next().equals(leaseId);
      if (permits.held.size() < cap && turnCame) {
        if (permits.waiting.remove(leaseId) != null && !permits.waiting.isEmpty()) {
          bell.ring(); // the next in line may have its turn now
        }
        permits.held.put(leaseId, participant);
        return pacing.paces() ? permits.pacing.reserve(pacing, earliestSlot(pacing)) : Pacing.Slot.NOW;
      }
      Long lapse = permits.waiting.get(leaseId);
      if (ticketMillis > 0 && (lapse == null || lapse - now < ticketMillis / 2)) {
        permits.waiting.put(leaseId, now + ticketMillis); // renewed when half spent: a look that changes nothing writes nothing
      }
      return null;
    });
    if (slot == null) {
      return Optional.empty();
    }
    return Optional.of(new Admission(permit(name, leaseId), slot));
  }

  private void withdraw(String name, String leaseId) {
    try {
      update(file -> {
        RunFile.Permits permits = file.permits.get(name);
        boolean withdrew = permits != null && permits.waiting.remove(leaseId) != null;
        if (withdrew) {
          bell.ring(); // the next in line may have its turn now
        }
        return withdrew;
      });
    } catch (RuntimeException e) {
      LOG.debug("could not withdraw from the queue for {}: {}", name, e.toString()); // the ticket lapses in a second
    }
  }

  /** A permit whose release, after the state moved, throws {@link MovedToCluster} so the caller releases it there. */
  private Permit permit(String name, String leaseId) {
    AtomicBoolean done = new AtomicBoolean();
    return new HeldPermit(new Held(name, leaseId), done);
  }

  /** A permit held here, with its name and lease id for a release after the move. */
  public final class HeldPermit implements Permit {
    private final Held held;
    private final AtomicBoolean done;

    HeldPermit(Held held, AtomicBoolean done) {
      this.held = held;
      this.done = done;
    }

    /** Its name and lease id. */
    public Held held() {
      return held;
    }

    @Override
    public boolean release() {
      if (done.get()) {
        return false;
      }
      update(file -> {
        RunFile.Permits permits = file.permits.get(held.name());
        boolean released = permits != null && permits.held.remove(held.leaseId()) != null;
        if (released) {
          bell.ring(); // a waiter in another JVM looks again at once
        }
        return released;
      });
      answered = true;
      return done.compareAndSet(false, true);
    }
  }

  @Override
  public Pacing.Slot reserveStartSlot(ApiLimits limits) {
    Pacing.Params pacing = limits.pacing();
    if (!pacing.paces()) {
      return Pacing.Slot.NOW;
    }
    return update(file -> file.permits.computeIfAbsent(limits.permitName(), n -> new RunFile.Permits()).pacing
        .reserve(pacing, earliestSlot(pacing)));
  }

  /** The earliest start to give: a little ahead, so the slot is still to come when the caller has it back. */
  private static long earliestSlot(Pacing.Params pacing) {
    return StartSlots.epochNanosNow() + Math.min(pacing.floorNanos() / 2, MAX_LEAD_NANOS);
  }

  @Override
  public void feedback(ApiLimits limits, Pacing.Feedback feedback) {
    update(file -> {
      file.permits.computeIfAbsent(limits.permitName(), n -> new RunFile.Permits()).pacing
          .feedback(limits.pacing(), feedback, StartSlots.epochNanosNow());
      return null;
    });
  }

  @Override
  public int permitsHeld(String name) {
    return update(file -> {
      RunFile.Permits permits = file.permits.get(name);
      if (permits == null) {
        return 0;
      }
      permits.held.values().removeIf(holder -> !liveness.isAlive(holder));
      return permits.held.size();
    });
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
              update(file -> file.window = AppendOutcome.append(file.window, rateLimited));
            } catch (RuntimeException e) {
              LOG.debug("could not record an outcome: {}", e.toString()); // moved or closing; the request is not
            }
          });
        } catch (java.util.concurrent.RejectedExecutionException movedOrClosed) {
          // the cluster's window counts from here on
        }
      }

      @Override
      public Share share() {
        return AppendOutcome.share(window);
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

  /** Writes this worker's counters to its own file, when they changed; under the lock so none lands after the move. */
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

  // ---- joining the cluster, and the fallback

  /**
   * Marks this participant as joined to the cluster as member or client {@code memberUuid}; when every
   * live participant has joined, carries the state over with {@code carrier} and marks the directory
   * moved, all under the lock, so no call here can slip between the two.
   *
   * @return true if this call moved the run's state
   */
  public boolean markJoined(String memberUuid, Carrier carrier) {
    this.joinedAs = memberUuid;
    this.carrier = carrier;
    return tryToMove();
  }

  /** The names of the permits the run has used here so far (the entries a move will carry). */
  public java.util.Set<String> permitNames() {
    try {
      return update(file -> new java.util.TreeSet<>(file.permits.keySet()));
    } catch (MovedToCluster moved) {
      return java.util.Set.of();
    }
  }

  /** Moves the run if every live participant has joined (this one included); see {@link #markJoined}. */
  private boolean tryToMove() {
    String member = joinedAs;
    if (member == null || moved) {
      return false;
    }
    try {
      boolean movedNow = update(file -> {
        file.participants.put(participant, member);
        file.participants.keySet().removeIf(p -> !liveness.isAlive(p));
        if (file.participants.containsValue("")) {
          return false;
        }
        Map<String, String> statistics = new TreeMap<>(); // the cluster keeps counters as JSON
        readAll(dir.path().resolve("stats")).forEach((worker, text) -> statistics.put(worker, StatsCodec.statsToJson(StatsFile.read(text))));
        carrier.carry(file, statistics, documents(), readAll(dir.path().resolve("claims")));
        file.epoch = RunFile.Epoch.CLUSTER;
        return true;
      });
      if (movedNow) {
        moved = true;
      }
      return movedNow;
    } catch (MovedToCluster already) {
      return false;
    }
  }

  /** True once the run of {@code dir} works in its cluster. */
  public static boolean hasMoved(RunDirectory dir) {
    return dir.locked(STATE, LOCK_BOUND, () -> RunFile.parse(dir.readBytes(STATE_FILE)).epoch == RunFile.Epoch.CLUSTER);
  }

  /**
   * Marks the run directory {@code dir} moved to the cluster from the start, when no worker is using it yet:
   * for a standalone member that workers in client mode use, so embedded workers of the run join it
   * before they send anything.
   */
  public static void declareCluster(RunDirectory dir) {
    dir.locked(STATE, LOCK_BOUND, () -> {
      RunFile file = RunFile.parse(dir.readBytes(STATE_FILE));
      file.participants.keySet().removeIf(p -> !RunDirectory.isAlive(p.substring(0, p.indexOf('#'))));
      if (file.participants.isEmpty()) {
        file.epoch = RunFile.Epoch.CLUSTER;
        dir.writeBytes(STATE_FILE, file.toBytes());
      }
      return null;
    });
  }

  /**
   * Records that this participant could not join a cluster; the first in the run to record it is told so
   * (so the run says it once). This participant stays unjoined, so the run's state stays here for good.
   */
  public boolean markNoCluster(String reason) {
    try {
      return update(file -> {
        if (file.noCluster != null) {
          return false;
        }
        file.noCluster = reason;
        return true;
      });
    } catch (MovedToCluster moved) {
      return false;
    }
  }

  private Map<String, Map<String, String>> documents() {
    Map<String, Map<String, String>> byKind = new TreeMap<>();
    Path root = dir.path().resolve("documents");
    if (Files.isDirectory(root)) {
      try (Stream<Path> kinds = Files.list(root)) {
        kinds.forEach(kind -> byKind.put(decode(kind.getFileName().toString()), readAll(kind)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return byKind;
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
      // a participant that left or died unjoined no longer holds the move back
      if (tryToMove()) {
        throw new MovedToCluster();
      }
      update(file -> {
        file.participants.keySet().removeIf(p -> !liveness.isAlive(p));
        return null;
      });
    } catch (MovedToCluster moved) {
      background.shutdown();
      onMoved.run();
    } catch (RuntimeException e) {
      LOG.debug("run directory tick: {}", e.toString());
    }
  }

  /** Runs {@code action} (once, on this state's thread) when this JVM finds the run moved by another worker. */
  public void onMoved(Runnable action) {
    this.onMoved = action;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    background.shutdownNow();
    try {
      keepCounters(); // also after a move: the next fork of the build may take the run up from here
      update(file -> {
        file.participants.remove(participant);
        file.permits.values().forEach(p -> p.held.values().removeIf(participant::equals));
        file.leases.values().forEach(table -> table.values().removeIf(lease -> lease.holder().equals(participant)));
        return null;
      });
    } catch (RuntimeException e) {
      LOG.debug("run directory already moved or gone while closing: {}", e.toString());
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

  /**
   * Keeps {@code document} of this worker in the run directory also after the run moved to its cluster:
   * when the run's JVMs all end, the cluster ends with them, and the next fork of the build (Surefire's
   * {@code reuseForks=false}) takes the run up from here.
   */
  public void keep(String kind, String document) {
    dir.locked(STATE, LOCK_BOUND, () -> {
      dir.write("documents/" + encode(kind) + "/" + encode(workerId), document);
      return null;
    });
  }

  /** Keeps this worker's counters here, as {@link #keep} does documents. */
  private void keepCounters() {
    Map<String, ApiStats> snapshot = recorder.snapshot();
    if (!snapshot.isEmpty()) {
      String text = StatsFile.write(snapshot);
      dir.locked(STATE, LOCK_BOUND, () -> {
        dir.write("stats/" + encode(workerId), text);
        return null;
      });
    }
  }

  // ---- files

  static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  static String decode(String name) {
    return URLDecoder.decode(name, StandardCharsets.UTF_8);
  }

  private static Map<String, String> readAll(Path directory) {
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

  /** Whether a participant's process lives, looked up at most every 250 ms per process. */
  private static final class Liveness {
    private static final long TTL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private final Map<String, long[]> seen = new ConcurrentHashMap<>(); // process to {checked at, alive 0/1}

    boolean isAlive(String participant) {
      int hash = participant.indexOf('#');
      String process = hash < 0 ? participant : participant.substring(0, hash);
      if (process.equals(RunDirectory.thisProcess())) {
        return true;
      }
      long now = System.nanoTime();
      long[] entry = seen.get(process);
      if (entry == null || now - entry[0] > TTL_NANOS) {
        entry = new long[] {now, RunDirectory.isAlive(process) ? 1 : 0};
        seen.put(process, entry);
      }
      return entry[1] == 1;
    }
  }
}
