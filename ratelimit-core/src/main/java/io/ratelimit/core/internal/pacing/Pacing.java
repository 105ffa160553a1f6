package io.ratelimit.core.internal.pacing;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * One API's run-wide pacing: when the next request may start. Pure state and arithmetic, kept wherever
 * the limiter state keeps the API's permits (in this JVM, in the run directory, in the API's cluster
 * entry) and changed only under that place's lock or entry processor, so every worker paces alike.
 *
 * <p>Three things decide a start, and the latest wins:
 * <ul>
 *   <li><b>Spacing.</b> Starts are at least the effective spacing apart. The configured delay is its floor,
 *       and with adaptive pacing a refusal (429/503) does two things:
 *       <ul>
 *         <li><b>It teaches the run a margin.</b> The spacing it was given was nearly right (the API's limits
 *             are what the user copied; what is missing is the margin the API's clock and the machine's
 *             jitter need), so the floor is raised by {@link #LEARN_STEP} of itself, for the rest of the run.
 *             Refusals of attempts reserved before the last lesson teach nothing more (a burst of refusals
 *             of attempts paced alike is one lesson), nor do refusals that say nothing about the floor: one
 *             attempt paced at or above what the lesson would set (the machine's jitter refused it, not the
 *             floor; a second such refusal since the last lesson does teach), an attempt beyond a quota known to be spent, or one that started late (the
 *             interceptor leaves those out). An API whose limits are far off is taught step by step.</li>
 *         <li><b>It widens the spacing for a while</b>, to {@link #WIDEN} times the spacing the attempt was
 *             given (multiplicative increase): a busy start (JVMs starting, JIT, GC) refuses attempts that the
 *             floor alone would not explain. Every admission takes {@code 1/}{@link #NARROW_DIVISOR} of that
 *             widening back, down to the learned floor and never below it.</li>
 *       </ul>
 *       So against a strict API at its published rate the run pays one refusal (and its {@code Retry-After})
 *       to learn a margin of a few percent, instead of walking back into a refusal every few seconds.
 *       <b>The run starts widened</b> the same way, as if refused once before its first start: its first
 *       seconds are its busiest (forks starting together, cold code), and one refusal there costs the whole
 *       run its {@code Retry-After}, while starting {@link #WIDEN} wide and narrowing back costs about two
 *       starts.</li>
 *   <li><b>Pause.</b> A {@code Retry-After}, or a quota reported as spent, stops every start until it ends.</li>
 *   <li><b>Quota.</b> A response's rate-limit headers say how many requests the window still takes and
 *       when it resets. Admissions are numbered; the quota lets through the numbers up to the reporting
 *       attempt's plus what remained (attempts that started after the reporting one are counted against it,
 *       answered or not), spread evenly over the time left, and the rest waits for the reset.</li>
 * </ul>
 * All times are epoch nanoseconds by the keeper's clock (the clocks of one machine agree).
 */
public final class Pacing {
  /** A refusal widens the spacing, for a while, to this factor of the refused attempt's spacing. */
  static final double WIDEN = 1.1;
  /**
   * Adaptive pacing keeps at least this share of the configured delay above it, before any lesson: at
   * exactly the published rate, a sliding window or a millisecond-grained bucket refuses the first arrival
   * that the machine's jitter brings a fraction of a millisecond early, and that one refusal costs the
   * whole run its {@code Retry-After}.
   */
  static final double JITTER_MARGIN = 0.03;
  /**
   * How long an on-time start takes from its slot until its bytes are on the socket (admission's last look,
   * OkHttp's network chain, the write): measured 0.3 ms at the median and 0.6-0.8 ms at p90 on a busy 2-core
   * machine. A start noted later than this left late.
   */
  static final long ON_TIME_LAG_NANOS = 500_000;
  /** A lesson raises the learned floor by this share of itself. */
  static final double LEARN_STEP = 0.04;
  /** The least a lesson raises the floor by (the share of a small floor is below any clock's grain). */
  static final long MIN_LEARN_NANOS = 500_000;
  /** The least widening, for a floor of zero. */
  static final long MIN_WIDENING_NANOS = 1_000_000;
  /**
   * Each admission takes this fraction's inverse of the widening back: about 20 admissions undo most of it
   * (the lesson is kept in the learned floor, so the widening only has to outlast a busy moment).
   */
  static final long NARROW_DIVISOR = 20;
  /** Resets reported less than this apart belong to one window (servers give the time left in whole seconds). */
  static final long SAME_WINDOW_NANOS = 1_000_000_000L;

  private long nextFreeSlot; // 0 before the first
  private long learnedNanos; // the margin refusals taught, above the configured floor: kept for the run
  private long lessons; // how many refusals taught it
  private long wideRefusals; // refusals since the last lesson of attempts paced above what a lesson would set
  private long extraNanos; // adaptive widening above the learned floor, decaying
  private long pausedUntil;
  private long admitted; // admissions so far: the number of the last one
  private long quotaLastSeq; // the last admission number the known quota lets through
  private long quotaResetAt; // when the known quota's window resets; 0 when none is known
  private long quotaOverBeforeSeq; // attempts numbered below this went in a window already over: their reports are old news

  /** How the API is paced: its floor, its ceiling and whether the spacing adapts. */
  public record Params(long floorNanos, long ceilingNanos, boolean adaptive) {
    /** A fixed spacing, no adaptation. */
    public static Params fixed(long spacingNanos) {
      return new Params(spacingNanos, spacingNanos, false);
    }

    /** True when starts must be reserved at all: a floor, or a spacing that may widen. */
    public boolean paces() {
      return floorNanos > 0 || adaptive;
    }
  }

  /**
   * A reserved start.
   *
   * @param epochNanos when to start
   * @param seq the admission's number in the API's sequence (for quota reports)
   * @param spacingNanos the effective spacing it was given: the floor, or wider after refusals (a quota
   *     spread over its window may space starts wider still)
   * @param pausedUntil the pause known when it was reserved (0 for none)
   * @param learnedNanos the margin the run had learned above the configured floor when it was reserved
   */
  public record Slot(long epochNanos, long seq, long spacingNanos, long pausedUntil, long learnedNanos) {
    /** A start at once, outside any pacing. */
    public static final Slot NOW = new Slot(0, 0, 0, 0, 0);

    /** The same slot, its start moved to {@code startEpochNanos} (a start that waited for a late one before it). */
    public Slot startingAt(long startEpochNanos) {
      return new Slot(startEpochNanos, seq, spacingNanos, pausedUntil, learnedNanos);
    }

    /** How long from now until the start; zero if it has come. */
    public java.time.Duration startIn() {
      return epochNanos == 0 ? java.time.Duration.ZERO : StartSlots.untilSlot(epochNanos);
    }

    /** The slot as the cluster sends it back. */
    public long[] toArray() {
      return new long[] {epochNanos, seq, spacingNanos, pausedUntil, learnedNanos};
    }

    /** The slot from {@link #toArray()}. */
    public static Slot of(long[] a) {
      return new Slot(a[0], a[1], a[2], a[3], a[4]);
    }
  }

  /**
   * What an attempt's response told about the API.
   *
   * @param attemptSpacing the spacing the attempt was given (0 when unknown)
   * @param attemptSeq the attempt's admission number (0 when unknown)
   * @param attemptLearned the learned margin the attempt was reserved under ({@link Slot#learnedNanos()})
   * @param refused a 429 or 503 that says something about spacing: teach a margin and widen the spacing
   * @param pauseUntil no start before this (0 for none)
   * @param quotaRemaining requests the window still takes after this attempt (-1 for none known)
   * @param quotaResetAt when the window resets (0 for none known)
   */
  public record Feedback(long attemptSpacing, long attemptSeq, long attemptLearned, boolean refused, long pauseUntil, long quotaRemaining, long quotaResetAt) {
    /** Nothing to tell. */
    public boolean isEmpty() {
      return !refused && pauseUntil == 0 && quotaRemaining < 0;
    }
  }

  /** Reserves the next start, not before {@code earliest}. */
  public Slot reserve(Params params, long earliest) {
    if (params.adaptive() && admitted == 0) {
      extraNanos = widening(params.floorNanos()); // the run's first start: a busy moment ahead
    } else if (params.adaptive() && extraNanos > 0) {
      extraNanos -= Math.max(1, extraNanos / NARROW_DIVISOR);
    }
    long floor = learnedFloor(params);
    long spacing = Math.max(floor, Math.min(params.ceilingNanos(), floor + extraNanos));
    long gap = spacing; // to the next start: the spacing, or wider to spread a quota
    long slot = Math.max(Math.max(earliest, pausedUntil), nextFreeSlot);
    long seq = admitted + 1;
    if (quotaResetAt != 0) {
      if (slot >= quotaResetAt) {
        forgetQuota(); // its window is over: the next response tells the new one
      } else if (seq > quotaLastSeq) {
        slot = quotaResetAt; // spent: wait for the reset
        forgetQuota();
      } else {
        gap = Math.max(spacing, (quotaResetAt - slot) / (quotaLastSeq - seq + 1));
      }
    }
    admitted = seq;
    nextFreeSlot = slot + gap;
    return new Slot(slot, seq, spacing, pausedUntil, learnedNanos);
  }

  /** How far a busy moment widens a spacing of {@code spacing}: {@link #WIDEN} of it, at least 1 ms. */
  private static long widening(long spacing) {
    return Math.max((long) (spacing * WIDEN), spacing + MIN_WIDENING_NANOS) - spacing;
  }

  /** The configured floor plus the margin refusals taught, within the ceiling. */
  private long learnedFloor(Params params) {
    return floor(params, learnedNanos);
  }

  /**
   * The spacing no start is given below: the configured floor plus what refusals taught ({@code learnedNanos})
   * or, with adaptive pacing, at least its jitter margin; within the ceiling.
   */
  public static long floor(Params params, long learnedNanos) {
    long margin = params.adaptive() ? (long) (params.floorNanos() * JITTER_MARGIN) : 0;
    return Math.min(params.ceilingNanos(), params.floorNanos() + Math.max(learnedNanos, margin));
  }

  /**
   * How long after a start that left late (its sender descheduled after its last look at the clock) the next
   * may go, when the spacing is {@code spacingNanos}: the configured delay and what the spacing keeps above it
   * (the margin, what refusals taught, a busy moment's widening), less the {@link #ON_TIME_LAG_NANOS} an
   * on-time start takes to leave, and at least half of it. A start that left within that lag then moves
   * nothing, so the small delays of a busy machine do not add up along a run, while the one after a late
   * start keeps most of the margin a strict API's clock needs.
   */
  public static long afterLateStart(Params params, long spacingNanos) {
    long above = Math.max(0, spacingNanos - params.floorNanos());
    return params.floorNanos() + Math.max(above / 2, above - ON_TIME_LAG_NANOS);
  }

  /** Takes in what a response told; {@code now} by the keeper's clock. */
  public void feedback(Params params, Feedback f, long now) {
    if (f.pauseUntil() > now) {
      pausedUntil = Math.max(pausedUntil, f.pauseUntil());
    }
    boolean beyondQuota = quotaResetAt != 0 && f.attemptSeq() > quotaLastSeq; // the window was spent, not the spacing
    if (f.refused() && params.adaptive() && !beyondQuota) {
      long floor = learnedFloor(params);
      long lesson = Math.min(params.ceilingNanos(), floor + Math.max(MIN_LEARN_NANOS, (long) (floor * LEARN_STEP)));
      // a lesson only when none came since the attempt was reserved, and when the attempt was paced below what
      // the lesson sets: one refusal at a wider spacing is the machine's jitter, which no higher floor would fix;
      // a second one since the last lesson says the API needs more (limits far off)
      boolean fresh = f.attemptLearned() >= learnedNanos;
      if (fresh && (f.attemptSpacing() < lesson || ++wideRefusals >= 2)) {
        learnedNanos = lesson - params.floorNanos();
        lessons++;
        wideRefusals = 0;
        floor = lesson;
      }
      long refusedAt = Math.max(floor, f.attemptSpacing());
      long wider = Math.min(params.ceilingNanos(), refusedAt + widening(refusedAt));
      extraNanos = Math.max(extraNanos, wider - floor);
    }
    // a report from an attempt of a window already over (its answer came after the run moved on) would pass
    // for a new window: one that is spent, with a reset rounded up most of a second past the true one
    if (f.quotaRemaining() >= 0 && f.quotaResetAt() > now && f.attemptSeq() > 0 && f.attemptSeq() >= quotaOverBeforeSeq) {
      long lastSeq = f.attemptSeq() + f.quotaRemaining();
      boolean current = true;
      if (quotaResetAt == 0 || f.quotaResetAt() >= quotaResetAt + SAME_WINDOW_NANOS) {
        quotaLastSeq = lastSeq; // a new window
        quotaResetAt = f.quotaResetAt();
      } else if (f.quotaResetAt() > quotaResetAt - SAME_WINDOW_NANOS) {
        // the same window: the tighter count holds, and the earlier reset (servers round the time left up)
        quotaLastSeq = Math.min(quotaLastSeq, lastSeq);
        quotaResetAt = Math.min(quotaResetAt, f.quotaResetAt());
      } else {
        current = false; // a late report of a window already over
      }
      if (f.quotaRemaining() == 0 && current) {
        // until the window's reset as the run knows it best: the earliest of its reports (this one alone, in
        // whole seconds rounded up, may point most of a second past it)
        pausedUntil = Math.max(pausedUntil, quotaResetAt);
      }
    }
  }

  /** Carries another keeper's pacing over (moving the run's state into its cluster): the later and wider wins. */
  public void absorb(Pacing other) {
    nextFreeSlot = Math.max(nextFreeSlot, other.nextFreeSlot);
    extraNanos = Math.max(extraNanos, other.extraNanos);
    learnedNanos = Math.max(learnedNanos, other.learnedNanos);
    lessons = Math.max(lessons, other.lessons);
    wideRefusals = Math.max(wideRefusals, other.wideRefusals);
    pausedUntil = Math.max(pausedUntil, other.pausedUntil);
    admitted = Math.max(admitted, other.admitted);
    if (other.quotaResetAt != 0 && (quotaResetAt == 0 || other.quotaLastSeq < quotaLastSeq)) {
      quotaLastSeq = other.quotaLastSeq;
      quotaResetAt = other.quotaResetAt;
    }
  }

  /** True when nothing has been paced yet. */
  public boolean isEmpty() {
    return nextFreeSlot == 0 && extraNanos == 0 && learnedNanos == 0 && pausedUntil == 0 && admitted == 0;
  }

  /** The margin refusals taught above the configured floor, kept for the rest of the run. */
  public long learnedNanos() {
    return learnedNanos;
  }

  /** How many refusals taught it. */
  public long lessons() {
    return lessons;
  }

  private void forgetQuota() {
    quotaResetAt = 0;
    quotaLastSeq = 0;
    quotaOverBeforeSeq = admitted + 1; // the admission being made is the first of the next window
  }

  /** Writes the state (10 longs). */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(nextFreeSlot);
    out.writeLong(extraNanos);
    out.writeLong(learnedNanos);
    out.writeLong(lessons);
    out.writeLong(wideRefusals);
    out.writeLong(pausedUntil);
    out.writeLong(admitted);
    out.writeLong(quotaLastSeq);
    out.writeLong(quotaResetAt);
    out.writeLong(quotaOverBeforeSeq);
  }

  /** Reads what {@link #writeTo} wrote. */
  public static Pacing readFrom(DataInput in) throws IOException {
    Pacing p = new Pacing();
    p.nextFreeSlot = in.readLong();
    p.extraNanos = in.readLong();
    p.learnedNanos = in.readLong();
    p.lessons = in.readLong();
    p.wideRefusals = in.readLong();
    p.pausedUntil = in.readLong();
    p.admitted = in.readLong();
    p.quotaLastSeq = in.readLong();
    p.quotaResetAt = in.readLong();
    p.quotaOverBeforeSeq = in.readLong();
    if (p.extraNanos < 0 || p.learnedNanos < 0 || p.lessons < 0 || p.admitted < 0) {
      throw new IOException("implausible pacing state");
    }
    return p;
  }
}
