package io.ratelimit.core.internal.admission;

import io.ratelimit.core.internal.jvm.AttemptGate;
import io.ratelimit.core.internal.jvm.FreezeDetector;
import io.ratelimit.core.internal.jvm.OkHttpWarmUp;
import io.ratelimit.core.internal.pacing.ApiLimits;
import io.ratelimit.core.internal.pacing.Pacing;
import io.ratelimit.core.internal.pacing.PacingBoard;
import io.ratelimit.core.internal.pacing.RateLimitHeaders;
import io.ratelimit.core.RateLimitExhaustedException;
import io.ratelimit.core.RateLimitedClients;
import io.ratelimit.core.internal.pacing.StartSlots;
import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.core.internal.retry.RateLimitsExpected;
import io.ratelimit.core.internal.retry.RetryDelays;
import io.ratelimit.core.internal.state.Admission;
import io.ratelimit.core.internal.state.LimiterState;
import io.ratelimit.core.internal.state.Permit;
import io.ratelimit.core.internal.stats.StatsRecorder;
import io.ratelimit.core.internal.waits.WaitCondition;
import io.ratelimit.core.internal.waits.Waits;
import io.ratelimit.core.PermitName;
import io.ratelimit.core.spi.Logs;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import okhttp3.Interceptor;
import okhttp3.Response;
import org.slf4j.Logger;

/**
 * Network interceptor: admits each attempt onto the wire. It takes an in-flight permit, waits for the
 * API's next start slot, counts the attempt and its status, and hands the permit to the response body,
 * which gives it back once the body is read or closed: the request is in flight until the server is done.
 * As a network interceptor it sees every attempt the server receives, redirects and follow-ups included.
 * An attempt whose JVM froze after it asked for admission (see {@link FreezeDetector}) is not sent: its
 * permit and slot may have been given to others meanwhile, so it gives them back and is admitted again,
 * in the state that replaced the lost one.
 */
public final class AdmissionInterceptor implements Interceptor {
  private static final Logger LOG = Logs.get(AdmissionInterceptor.class);
  /** Waking later than this after the slot counts as late. */
  static final long LATE_START_NANOS = java.util.concurrent.TimeUnit.MICROSECONDS.toNanos(1000);
  /** A request that keeps waking late goes at its third slot anyway. */
  private static final int MAX_SLOT_ATTEMPTS = 3;
  /** Pauses one request waits out before it goes at its slot anyway (each is bounded by PYTEST_MAX_BACKOFF). */
  private static final int MAX_PAUSES = 3;
  /** An attempt admitted again after this many freezes of its JVM fails rather than wait on. */
  private static final int MAX_ADMISSIONS = 3;
  /** The permit name all requests share once the run is sequential. */

  private final LimiterState state;
  private final ApiLimits limits;
  private final Duration permitTimeout;
  private final StatsRecorder.Counters counters;
  private final StatsRecorder recorder;
  private final boolean enforce;
  private final SequentialSwitch sequentialSwitch;
  private final AttemptGate gate;
  private final PacingBoard board;
  private final Duration maxPause;
  private final FreezeDetector freezes;
  private final OkHttpWarmUp warmUp;
  private final StartTimes starts;

  /**
   * @param state the shared limiter state
   * @param limits this API's limits
   * @param permitTimeout longest wait for a permit before going ahead without one
   * @param recorder this JVM's counters, for the per-test ones
   * @param counters the API's counters
   * @param enforce false to count only (rate limiting off)
   * @param sequentialSwitch told of every attempt's outcome
   * @param gate shut when the worker stops, so every attempt sent is counted before the last flush
   * @param board this JVM's knowledge of pauses and effective spacings
   * @param maxPause the longest pause a response may impose ({@code PYTEST_MAX_BACKOFF})
   * @param freezes this JVM's freeze detector
   * @param warmUp awaited (bounded) before the first slot, so a cold JVM's first request is not late
   * @param starts when the API's latest request left (noted by {@link StartNoting}), read before each start
   */
  public AdmissionInterceptor(LimiterState state, ApiLimits limits, Duration permitTimeout, StatsRecorder recorder,
      StatsRecorder.Counters counters, boolean enforce, SequentialSwitch sequentialSwitch, AttemptGate gate, PacingBoard board,
      Duration maxPause, FreezeDetector freezes, OkHttpWarmUp warmUp, StartTimes starts) {
    this.starts = starts;
    this.freezes = freezes;
    this.warmUp = warmUp;
    this.board = board;
    this.maxPause = maxPause;
    this.recorder = recorder;
    this.state = state;
    this.limits = limits;
    this.permitTimeout = permitTimeout;
    this.counters = counters;
    this.enforce = enforce;
    this.sequentialSwitch = sequentialSwitch;
    this.gate = gate;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    StatsRecorder.Counters test = recorder.test(chain.call());
    Pacing.Slot slot = Pacing.Slot.NOW;
    Permit permit = Permit.NONE;
    for (int admissions = 1; ; admissions++) {
      long freezesBefore = freezes.freezes();
      if (enforce) {
        Admission admission = admit(chain, test);
        permit = admission.permit();
        slot = admission.slot();
      }
      if (!gate.enter()) {
        permit.releaseWithoutWaiting();
        throw new IOException("ratelimit-testkit: this worker is stopping; " + chain.request().method() + " "
            + chain.request().url().redact() + " was not sent");
      }
      // the last look before the request leaves: no freeze since it asked, or it is admitted again
      if (!enforce || freezes.freezes() == freezesBefore) {
        break;
      }
      gate.leave();
      permit.releaseWithoutWaiting();
      if (admissions >= MAX_ADMISSIONS) {
        throw new IOException("ratelimit-testkit: this JVM froze " + admissions + " times while " + chain.request().method() + " "
            + chain.request().url().redact() + " waited for its turn; it was not sent");
      }
      LOG.debug("ratelimit-testkit: this JVM froze while {} {} waited for its turn; admitted again", chain.request().method(),
          chain.request().url().redact());
    }
    Response response;
    long lateNanos = slot == Pacing.Slot.NOW ? 0 : StartSlots.epochNanosNow() - slot.epochNanos();
    try {
      counters.attempt();
      test.attempt();
      response = chain.proceed(chain.request());
      counters.response(response.code());
      test.response(response.code());
    } catch (IOException | RuntimeException e) {
      permit.releaseWithoutWaiting();
      counters.ioError();
      test.ioError();
      throw e;
    } finally {
      gate.leave();
    }
    if (enforce) {
      sequentialSwitch.attempted(response.code() == 429 && notForThePacing(slot));
      tellPacing(response, slot, lateNanos);
    }
    return PermitReleasingBody.attach(response, permit);
  }

  /**
   * With an adaptive delay, a 429 of a request that started at the configured delay is the pacing's to
   * answer (it widens the delay run-wide); only 429s that come after it has widened count toward switching
   * the run to sequential, so a run at the API's published rate stays parallel while the pacing learns.
   */
  private boolean notForThePacing(Pacing.Slot slot) {
    return !limits.adaptive() || slot == Pacing.Slot.NOW || slot.spacingNanos() > Pacing.floor(limits.pacing(), slot.learnedNanos());
  }

  /**
   * Hands what the response says about the API's limits to the run-wide pacing, when it says anything. A
   * refusal teaches the pacing about spacing only when the attempt left on time and the quota was not
   * reported spent: a late start crowded the next one, a spent window refuses any spacing.
   */
  private void tellPacing(Response response, Pacing.Slot slot, long lateNanos) {
    Instant now = Instant.now();
    long nowNanos = StartSlots.epochNanosNow();
    boolean refused = response.code() == 429 || response.code() == 503;
    long pauseUntil = 0;
    if (refused) {
      Optional<Duration> retryAfter = RetryDelays.retryAfter(response.header("Retry-After"), now);
      if (retryAfter.isPresent()) {
        pauseUntil = nowNanos + Math.min(retryAfter.get().toNanos(), maxPause.toNanos());
      }
    }
    long remaining = -1;
    long resetAt = 0;
    Optional<RateLimitHeaders.Quota> quota = RateLimitHeaders.parse(response.headers(), now, maxPause);
    if (quota.isPresent() && worthTelling(quota.get(), now)) {
      remaining = quota.get().remaining();
      resetAt = nowNanos + Duration.between(now, quota.get().reset()).toNanos();
    }
    boolean aboutSpacing = refused && lateNanos <= LATE_START_NANOS && remaining != 0;
    Pacing.Feedback feedback = new Pacing.Feedback(slot.spacingNanos(), slot.seq(), slot.learnedNanos(), aboutSpacing, pauseUntil,
        remaining, resetAt);
    if (feedback.isEmpty() || slot == Pacing.Slot.NOW && !refused) {
      return;
    }
    if (pauseUntil > 0) {
      board.paused(limits.api(), pauseUntil);
    }
    // a spent quota is not paused here: this response's reset, in whole seconds rounded up, may point most
    // of a second past the window's end and would hold this JVM's starts of the next window back; the shared
    // pacing pauses until the earliest reset the window reported, and its slots carry that pause here
    try {
      state.permits().feedback(limits, feedback);
    } catch (RuntimeException e) {
      LOG.debug("ratelimit-testkit: could not tell the run's pacing about a response: {}", e.toString()); // the next one will
    }
  }

  /**
   * A quota is worth a message to the shared state only when it binds: when little is left, or when what
   * is left, spread over the time to the reset, needs more than the configured spacing. Otherwise an API
   * that sends its quota on every response would double the round trips of every request.
   */
  private boolean worthTelling(RateLimitHeaders.Quota quota, Instant now) {
    long left = quota.remaining();
    long untilReset = Duration.between(now, quota.reset()).toNanos();
    return left <= 2L * limits.maxInFlight() || untilReset > left * limits.spacing().toNanos() / 2;
  }

  private Admission admit(Chain chain, StatsRecorder.Counters test) throws IOException {
    WaitCondition cancelled = chain.call()::isCanceled;
    long start = System.nanoTime();
    // once the run is sequential, every API shares one permit: one request in flight, run-wide
    Optional<Admission> admission;
    if (state.modes().runMode().sequential()) {
      admission = state.permits().acquirePermit(PermitName.sequentialRequests(), 1, permitTimeout, cancelled)
          .map(permit -> new Admission(permit, state.permits().reserveStartSlot(limits)));
    } else {
      admission = state.permits().admit(limits, permitTimeout, cancelled);
    }
    Permit permit = admission.map(Admission::permit).orElse(Permit.NONE);
    if (admission.isEmpty()) {
      counters.permitTimeout();
      test.permitTimeout();
      if (!RateLimitsExpected.of(chain.request())) { // a client that provokes 429s keeps its test's own outcome
        tellThrottled(chain);
      }
      LOG.warn("ratelimit-testkit: no in-flight permit for API '{}' within PYTEST_PERMIT_TIMEOUT ({} ms); "
          + "sending {} {} without one. Are responses left unclosed, or is the cap too low?",
          limits.api(), permitTimeout.toMillis(), chain.request().method(), chain.request().url().redact());
    }
    Pacing.Slot slot;
    try {
      // a cold JVM's first request waits for the warm-up here, with its slot in hand: the warm-up overlaps the
      // wait for the slot, and a slot that passed meanwhile is given up for a new one (waitForOnTimeStart)
      warmUp.await();
      slot = waitForOnTimeStart(admission.map(Admission::slot).orElseGet(() -> state.permits().reserveStartSlot(limits)), cancelled);
    } catch (IOException | RuntimeException e) {
      permit.releaseWithoutWaiting();
      throw e;
    }
    long waited = System.nanoTime() - start;
    counters.permitWait(waited);
    test.permitWait(waited);
    return new Admission(permit, slot);
  }

  /** Tells the test that made the call that the limiter gave up on it: no permit within PYTEST_PERMIT_TIMEOUT. */
  private void tellThrottled(Chain chain) {
    String request = chain.request().method() + " " + chain.request().url().redact();
    RateLimitedClients.testAttribution().throttled(chain.call(), new RateLimitExhaustedException(limits.api(),
        RateLimitExhaustedException.Reason.PERMIT_TIMEOUT, request, 0, 0, null, board.effectiveDelay(limits.api()).orElse(null)));
  }

  /**
   * Keeps the API's delay after the latest start the run's JVMs on this machine noted. Slots are the floor
   * apart, but a sender descheduled between its last look at the clock and its write leaves late, and the
   * slot after it would reach the API less than the delay later: this start waits instead until
   * {@link Pacing#afterLateStart} has passed since the late one, and a start it makes late in turn is noted
   * for the next. Bounded by that delay; an on-time start waits for nothing.
   *
   * @return the slot, its start moved to the one it waited for (how late it leaves is measured from there)
   */
  private Pacing.Slot keepDelayAfterLatestStart(Pacing.Slot slot, WaitCondition cancelled) throws IOException {
    long keep = Pacing.afterLateStart(limits.pacing(), slot.spacingNanos());
    long due = starts.latest(limits.api()) + keep;
    long wait = due - StartSlots.epochNanosNow();
    if (wait <= 0) {
      return slot;
    }
    Waits.sleepToSlot(Duration.ofNanos(Math.min(wait, keep)), cancelled); // a start noted ahead of this clock waits no longer
    return due > slot.epochNanos() ? slot.startingAt(due) : slot;
  }

  /**
   * Waits for a start slot and starts on time. A thread that wakes late (a busy machine, a GC pause)
   * would crowd the next slot's request, so it gives its slot up and reserves a new one instead (one
   * descheduled after this last look is caught by {@link #keepDelayAfterLatestStart}). A slot
   * given out before a pause that this JVM has since heard of waits for the pause, then takes a new slot.
   */
  private Pacing.Slot waitForOnTimeStart(Pacing.Slot first, WaitCondition cancelled) throws IOException {
    Pacing.Slot slot = first;
    if (slot == Pacing.Slot.NOW) {
      // an API with no spacing to keep still honours a pause this JVM heard of (a Retry-After), e.g. a re-run test's first request
      long pausedUntil = board.pausedUntil(limits.api());
      if (pausedUntil > StartSlots.epochNanosNow()) {
        Waits.sleep(StartSlots.untilSlot(pausedUntil), cancelled); // bounded: a pause is at most PYTEST_MAX_BACKOFF
      }
      return slot;
    }
    for (int attempt = 1, pauses = 0; ; attempt++) {
      board.saw(limits, slot);
      Duration wait = slot.startIn();
      long due = System.nanoTime() + wait.toNanos();
      Waits.sleepToSlot(wait, cancelled);
      long pausedUntil = board.pausedUntil(limits.api());
      if (slot != Pacing.Slot.NOW && pausedUntil > slot.epochNanos() && pauses++ < MAX_PAUSES) {
        Waits.sleep(StartSlots.untilSlot(pausedUntil), cancelled); // bounded: a pause is at most PYTEST_MAX_BACKOFF
        slot = state.permits().reserveStartSlot(limits);
        continue;
      }
      // late against the slot itself, not only against the wait: a slot that came back already past (a cold or
      // busy JVM, a slow trip to the shared state) crowds the next one just as a late wake-up does
      long late = slot == Pacing.Slot.NOW ? 0 : Math.max(System.nanoTime() - due, StartSlots.epochNanosNow() - slot.epochNanos());
      if (late <= LATE_START_NANOS || attempt >= MAX_SLOT_ATTEMPTS) {
        return keepDelayAfterLatestStart(slot, cancelled);
      }
      slot = state.permits().reserveStartSlot(limits);
    }
  }
}
