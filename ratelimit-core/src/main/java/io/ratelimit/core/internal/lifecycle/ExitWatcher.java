package io.ratelimit.core.internal.lifecycle;

import io.ratelimit.core.internal.jvm.Jvm;
import io.ratelimit.core.spi.Logs;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;

/**
 * Lets a program end when its own work ends, even if it never closed the limiter. Hazelcast's member and
 * client threads are not daemon threads: left alone they keep the JVM alive after {@code main} returns or
 * throws. A daemon thread looks at the JVM's threads five times a second, and when every non-daemon thread
 * left is a watched instance's own, or only waits for one to end (the launcher's {@code DestroyJavaVM} once
 * {@code main} is over; a runner such as Maven's {@code exec:java} joining them), it closes what it watches:
 * the coordinator flushes its counters and leaves the cluster, bounded, those threads end and so does the JVM.
 * While any other non-daemon thread lives (a test runner's main thread, the program's HTTP server, a pool
 * still working) it does nothing: the program is not done.
 */
public final class ExitWatcher {
  private static final Logger LOG = Logs.get(ExitWatcher.class);
  /** Rare enough to cost nothing, often enough that a finished program ends promptly. */
  static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** The name the java launcher gives the thread that waits for the last non-daemon thread after {@code main}. */
  private static final String LAUNCHER_THREAD = "DestroyJavaVM";

  private final List<Watch> watched = new CopyOnWriteArrayList<>();
  private final AtomicLong checks = new AtomicLong();
  private Thread watcher; // guarded by this

  private ExitWatcher() {}

  /** The JVM's one ({@link Jvm}): it must see every watched instance of the JVM at once to know the program is done. */
  private static ExitWatcher jvm() {
    return Jvm.one(ExitWatcher.class, ExitWatcher::new);
  }

  /**
   * Runs {@code close} once the only non-daemon threads left are those of the Hazelcast instance named
   * {@code instanceName} (a member names its threads {@code hz.<name>.*}, a client {@code <name>.*}) or of
   * another watched one, or threads that wait for them.
   *
   * @return the watch, to close when {@code close} has run by other means
   */
  public static Watch watch(String instanceName, Runnable close) {
    return jvm().add(instanceName, close);
  }

  private Watch add(String instanceName, Runnable close) {
    Watch watch = new Watch(instanceName, close);
    watched.add(watch);
    synchronized (this) {
      if (watcher == null) {
        watcher = new Thread(this::run, "ratelimit-exit-watcher");
        watcher.setDaemon(true);
        watcher.start();
      }
    }
    return watch;
  }

  /** How many times the watcher has looked at the JVM's threads, so a test can wait until it has looked. */
  public static long checks() {
    return jvm().checks.get();
  }

  private void run() {
    while (true) {
      LockSupport.parkNanos(POLL_NANOS);
      synchronized (this) {
        if (watched.isEmpty()) {
          watcher = null; // the next watch starts a new one
          return;
        }
      }
      List<Watch> now = new ArrayList<>(watched);
      boolean done = onlyWatchedThreadsLeft(now);
      checks.incrementAndGet();
      if (done) {
        LOG.debug("ratelimit-testkit: the program's own threads are done; closing the limiter (counters flushed, cluster left) "
            + "so the JVM can exit");
        now.forEach(Watch::fire);
      }
    }
  }

  /** True when every live non-daemon thread but the launcher's is a watched one, or joins one. */
  static boolean onlyWatchedThreadsLeft(List<Watch> watches) {
    Set<Integer> ours = new HashSet<>();
    List<Thread> others = new ArrayList<>();
    for (Thread thread : liveThreads()) {
      if (thread.isDaemon() || !thread.isAlive()) {
        continue;
      }
      if (watches.stream().anyMatch(w -> w.owns(thread))) {
        ours.add(System.identityHashCode(thread));
      } else if (!thread.getName().equals(LAUNCHER_THREAD)) {
        others.add(thread);
      }
    }
    if (ours.isEmpty()) {
      return false; // nothing of ours keeps the JVM alive
    }
    for (Thread other : others) {
      Thread.State state = other.getState();
      if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING && state != Thread.State.TERMINATED) {
        return false; // working
      }
      if (state != Thread.State.TERMINATED && !joinsOneOf(other, ours)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code thread} waits in {@link Thread#join()} for one of {@code ours} (join waits on the joined thread's monitor). */
  private static boolean joinsOneOf(Thread thread, Set<Integer> ours) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    @SuppressWarnings("deprecation") // Thread.threadId() is Java 19+
    ThreadInfo info = threads.getThreadInfo(thread.getId()); // no stack: cheap, no safepoint
    if (info == null) {
      return true; // ended meanwhile
    }
    LockInfo lock = info.getLockInfo();
    return lock != null && ours.contains(lock.getIdentityHashCode());
  }

  private static List<Thread> liveThreads() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 16];
    int count;
    while ((count = root.enumerate(threads, true)) == threads.length) {
      threads = new Thread[threads.length * 2];
    }
    return Arrays.asList(threads).subList(0, count);
  }

  /** One thing to close when the program is done. */
  public final class Watch implements AutoCloseable {
    private final String memberThreads;
    private final String clientThreads;
    private final Runnable close;
    private final AtomicBoolean fired = new AtomicBoolean();

    private Watch(String instanceName, Runnable close) {
      this.memberThreads = "hz." + instanceName + ".";
      this.clientThreads = instanceName + ".";
      this.close = close;
    }

    private boolean owns(Thread thread) {
      String name = thread.getName();
      return name.startsWith(memberThreads) || name.startsWith(clientThreads);
    }

    private void fire() {
      if (fired.compareAndSet(false, true)) {
        watched.remove(this);
        try {
          close.run();
        } catch (RuntimeException e) {
          LOG.warn("ratelimit-testkit: closing the limiter at the program's end failed: {}", e.toString());
        }
      }
    }

    /** Stops watching, without closing. */
    @Override
    public void close() {
      fired.set(true);
      watched.remove(this);
    }
  }
}
