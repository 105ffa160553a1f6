package io.ratelimit.core.internal;

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
 *   <li><b>Spacing.</b> Starts are at least the effective spacing apart. The configured delay is its floor.
 *       With adaptive pacing, a refused attempt (429/503) widens it to {@link #WIDEN} times the spacing that
 *       attempt was given (multiplicative increase): a burst of refusals of attempts paced alike widens it
 *       once, and it widens again only if attempts paced at the wider spacing are refused too. Every
 *       admission takes {@code 1/}{@link #NARROW_DIVISOR} of the widening back (decrease toward the
 *       floor, fast when far above it and slow near it). In balance, the widening left is about
 *       {@code 0.1 x NARROW_DIVISOR} times the share of refusals: a spacing 5% above the floor costs one
 *       refusal in about 200 requests. This is AIMD on the delay, as TCP and Netflix's concurrency limits
 *       do it on a window, with a decay in place of the additive step so that a widening caused by a busy
 *       start (JVMs starting, JIT, GC) is undone within a few hundred requests.</li>
 *   <li><b>Pause.</b> A {@code Retry-After}, or a quota reported as spent, stops every start until it ends.</li>
 *   <li><b>Quota.</b> A response's rate-limit headers say how many requests the window still takes and
 *       when it resets. Admissions are numbered; the quota lets through the numbers up to the reporting
 *       attempt's plus what remained (attempts that started after the reporting one are counted against it,
 *       answered or not), spread evenly over the time left, and the rest waits for the reset.</li>
 * </ul>
 * All times are epoch nanoseconds by the keeper's clock (the clocks of one machine agree).
 */
public final class Pacing {
  /** A refusal widens the spacing to this factor of the refused attempt's spacing. */
  static final double WIDEN = 1.1;
  /** The least widening, for a floor of zero. */
  static final long MIN_WIDENING_NANOS = 1_000_000;
  /** Each admission takes this fraction's inverse of the widening back. */
  static final long NARROW_DIVISOR = 100;
  /** Resets reported less than this apart belong to one window (servers give the time left in whole seconds). */
  static final long SAME_WINDOW_NANOS = 1_000_000_000L;

  private long nextFreeSlot; // 0 before the first
  private long extraNanos; // adaptive widening above the floor
  private long pausedUntil;
  private long admitted; // admissions so far: the number of the last one
  private long quotaLastSeq; // the last admission number the known quota lets through
  private long quotaResetAt; // when the known quota's window resets; 0 when none is known

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
   */
  public record Slot(long epochNanos, long seq, long spacingNanos, long pausedUntil) {
    /** A start at once, outside any pacing. */
    public static final Slot NOW = new Slot(0, 0, 0, 0);

    /** How long from now until the start; zero if it has come. */
    public java.time.Duration startIn() {
      return epochNanos == 0 ? java.time.Duration.ZERO : StartSlots.untilSlot(epochNanos);
    }

    /** The slot as the cluster sends it back. */
    public long[] toArray() {
      return new long[] {epochNanos, seq, spacingNanos, pausedUntil};
    }

    /** The slot from {@link #toArray()}. */
    public static Slot of(long[] a) {
      return new Slot(a[0], a[1], a[2], a[3]);
    }
  }

  /**
   * What an attempt's response told about the API.
   *
   * @param attemptSpacing the spacing the attempt was given (0 when unknown)
   * @param attemptSeq the attempt's admission number (0 when unknown)
   * @param refused a 429 or 503: widen the spacing
   * @param pauseUntil no start before this (0 for none)
   * @param quotaRemaining requests the window still takes after this attempt (-1 for none known)
   * @param quotaResetAt when the window resets (0 for none known)
   */
  public record Feedback(long attemptSpacing, long attemptSeq, boolean refused, long pauseUntil, long quotaRemaining, long quotaResetAt) {
    /** Nothing to tell. */
    public boolean isEmpty() {
      return !refused && pauseUntil == 0 && quotaRemaining < 0;
    }
  }

  /** Reserves the next start, not before {@code earliest}. */
  public Slot reserve(Params params, long earliest) {
    if (params.adaptive() && extraNanos > 0) {
      extraNanos -= Math.max(1, extraNanos / NARROW_DIVISOR);
    }
    long spacing = Math.max(params.floorNanos(), Math.min(params.ceilingNanos(), params.floorNanos() + extraNanos));
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
    return new Slot(slot, seq, spacing, pausedUntil);
  }

  /** Takes in what a response told; {@code now} by the keeper's clock. */
  public void feedback(Params params, Feedback f, long now) {
    if (f.pauseUntil() > now) {
      pausedUntil = Math.max(pausedUntil, f.pauseUntil());
    }
    if (f.refused() && params.adaptive()) {
      long refusedAt = Math.max(params.floorNanos(), f.attemptSpacing());
      long wider = Math.min(params.ceilingNanos(), Math.max((long) (refusedAt * WIDEN), refusedAt + MIN_WIDENING_NANOS));
      extraNanos = Math.max(extraNanos, wider - params.floorNanos());
    }
    if (f.quotaRemaining() >= 0 && f.quotaResetAt() > now && f.attemptSeq() > 0) {
      long lastSeq = f.attemptSeq() + f.quotaRemaining();
      if (quotaResetAt == 0 || f.quotaResetAt() >= quotaResetAt + SAME_WINDOW_NANOS) {
        quotaLastSeq = lastSeq; // a new window
        quotaResetAt = f.quotaResetAt();
      } else if (f.quotaResetAt() > quotaResetAt - SAME_WINDOW_NANOS) {
        // the same window: the tighter count holds, and the earlier reset (servers round the time left up)
        quotaLastSeq = Math.min(quotaLastSeq, lastSeq);
        quotaResetAt = Math.min(quotaResetAt, f.quotaResetAt());
      } // else: a late report of a window already over
      if (f.quotaRemaining() == 0) {
        pausedUntil = Math.max(pausedUntil, f.quotaResetAt());
      }
    }
  }

  /** Carries another keeper's pacing over (moving the run's state into its cluster): the later and wider wins. */
  public void absorb(Pacing other) {
    nextFreeSlot = Math.max(nextFreeSlot, other.nextFreeSlot);
    extraNanos = Math.max(extraNanos, other.extraNanos);
    pausedUntil = Math.max(pausedUntil, other.pausedUntil);
    admitted = Math.max(admitted, other.admitted);
    if (other.quotaResetAt != 0 && (quotaResetAt == 0 || other.quotaLastSeq < quotaLastSeq)) {
      quotaLastSeq = other.quotaLastSeq;
      quotaResetAt = other.quotaResetAt;
    }
  }

  /** True when nothing has been paced yet. */
  public boolean isEmpty() {
    return nextFreeSlot == 0 && extraNanos == 0 && pausedUntil == 0 && admitted == 0;
  }

  private void forgetQuota() {
    quotaResetAt = 0;
    quotaLastSeq = 0;
  }

  /** Writes the state (6 longs). */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(nextFreeSlot);
    out.writeLong(extraNanos);
    out.writeLong(pausedUntil);
    out.writeLong(admitted);
    out.writeLong(quotaLastSeq);
    out.writeLong(quotaResetAt);
  }

  /** Reads what {@link #writeTo} wrote. */
  public static Pacing readFrom(DataInput in) throws IOException {
    Pacing p = new Pacing();
    p.nextFreeSlot = in.readLong();
    p.extraNanos = in.readLong();
    p.pausedUntil = in.readLong();
    p.admitted = in.readLong();
    p.quotaLastSeq = in.readLong();
    p.quotaResetAt = in.readLong();
    if (p.extraNanos < 0 || p.admitted < 0) {
      throw new IOException("implausible pacing state");
    }
    return p;
  }
}
