package io.ratelimit.core.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import okhttp3.Interceptor;
import okhttp3.Response;
import org.slf4j.Logger;

/**
 * Network interceptor: admits each attempt onto the wire. It takes an in-flight permit, waits for the
 * API's next start slot, counts the attempt and its status, and hands the permit to the response body,
 * which gives it back once the body is read or closed: the request is in flight until the server is done.
 * As a network interceptor it sees every attempt the server receives, redirects and follow-ups included.
 */
public final class AdmissionInterceptor implements Interceptor {
  private static final Logger LOG = Logs.get(AdmissionInterceptor.class);
  /** Waking later than this after the slot counts as late. */
  static final long LATE_START_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(2);
  /** A request that keeps waking late goes at its third slot anyway. */
  private static final int MAX_SLOT_ATTEMPTS = 3;
  /** The permit name all requests share once the run is sequential. */
  public static final String SEQUENTIAL_PERMIT = "requests:sequential";

  private final LimiterState state;
  private final ApiLimits limits;
  private final Duration permitTimeout;
  private final StatsRecorder.Counters counters;
  private final StatsRecorder recorder;
  private final boolean enforce;
  private final SequentialSwitch sequentialSwitch;
  private final AttemptGate gate;

  /**
   * @param state the shared limiter state
   * @param limits this API's limits
   * @param permitTimeout longest wait for a permit before going ahead without one
   * @param recorder this JVM's counters, for the per-test ones
   * @param counters the API's counters
   * @param enforce false to count only (rate limiting off)
   * @param sequentialSwitch told of every attempt's outcome
   * @param gate shut when the worker stops, so every attempt sent is counted before the last flush
   */
  public AdmissionInterceptor(LimiterState state, ApiLimits limits, Duration permitTimeout, StatsRecorder recorder,
      StatsRecorder.Counters counters, boolean enforce, SequentialSwitch sequentialSwitch, AttemptGate gate) {
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
    Permit permit = enforce ? admit(chain, test) : Permit.NONE;
    if (!gate.enter()) {
      permit.releaseWithoutWaiting();
      throw new IOException("ratelimit-testkit: this worker is stopping; " + chain.request().method() + " "
          + chain.request().url().redact() + " was not sent");
    }
    Response response;
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
      sequentialSwitch.attempted(response.code() == 429);
    }
    return PermitReleasingBody.attach(response, permit);
  }

  private Permit admit(Chain chain, StatsRecorder.Counters test) throws IOException {
    WaitCondition cancelled = chain.call()::isCanceled;
    long start = System.nanoTime();
    // once the run is sequential, every API shares one permit: one request in flight, run-wide
    Optional<LimiterState.Admission> admission;
    if (state.runMode().sequential()) {
      admission = state.acquirePermit(SEQUENTIAL_PERMIT, 1, permitTimeout, cancelled)
          .map(permit -> new LimiterState.Admission(permit, state.reserveStartSlot(limits)));
    } else {
      admission = state.admit(limits, permitTimeout, cancelled);
    }
    Permit permit = admission.map(LimiterState.Admission::permit).orElse(Permit.NONE);
    if (admission.isEmpty()) {
      counters.permitTimeout();
      LOG.warn("ratelimit-testkit: no in-flight permit for API '{}' within PYTEST_PERMIT_TIMEOUT ({} ms); "
          + "sending {} {} without one. Are responses left unclosed, or is the cap too low?",
          limits.api(), permitTimeout.toMillis(), chain.request().method(), chain.request().url().redact());
    }
    try {
      waitForOnTimeStart(admission.map(LimiterState.Admission::startIn).orElseGet(() -> state.reserveStartSlot(limits)), cancelled);
    } catch (IOException | RuntimeException e) {
      permit.releaseWithoutWaiting();
      throw e;
    }
    long waited = System.nanoTime() - start;
    counters.permitWait(waited);
    test.permitWait(waited);
    return permit;
  }

  /**
   * Waits for a start slot and starts on time. A thread that wakes late (a busy machine, a GC pause)
   * would crowd the next slot's request, so it gives its slot up and reserves a new one instead.
   */
  private void waitForOnTimeStart(Duration firstWait, WaitCondition cancelled) throws IOException {
    Duration wait = firstWait;
    for (int attempt = 1; ; attempt++, wait = state.reserveStartSlot(limits)) {
      long slot = System.nanoTime() + wait.toNanos();
      Waits.sleep(wait, cancelled);
      if (wait.isZero() || System.nanoTime() - slot <= LATE_START_NANOS || attempt == MAX_SLOT_ATTEMPTS) {
        return;
      }
    }
  }
}
