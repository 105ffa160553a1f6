package io.ratelimit.core;

import java.time.Duration;
import java.util.Locale;

/**
 * What an API's refusals taught the run (with {@code PYTEST_ADAPTIVE_DELAY}): the spacing between request
 * starts it needed, above the configured one. The run keeps the learned spacing as its floor from the
 * first refusal on, so a suite at an API's published rate pays for one refusal, not one every few seconds;
 * the report advises configuring it.
 *
 * @param api the API's name
 * @param configured its configured delay ({@code PYTEST_RATE_LIMIT_DELAY} or the API's own setting)
 * @param needed the delay the run learned it needs: {@code configured} plus the learned margin
 */
public record LearnedDelay(String api, Duration configured, Duration needed) {

  /** The learned margin as a share of the configured delay (0.02 for 2%). */
  public double marginShare() {
    return configured.isZero() ? 0 : (double) needed.minus(configured).toNanos() / configured.toNanos();
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s needed %.1f ms, not %.1f ms", api, needed.toNanos() / 1e6, configured.toNanos() / 1e6);
  }
}
