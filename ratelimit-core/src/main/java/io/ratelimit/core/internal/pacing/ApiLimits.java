package io.ratelimit.core.internal.pacing;

import io.ratelimit.core.PermitName;
import java.time.Duration;

/**
 * The limits the limiter state enforces for one API.
 *
 * @param api API name: the key of the shared state
 * @param maxInFlight cap on requests in flight across all workers
 * @param spacing minimum time between request starts across all workers: the floor of the effective spacing
 * @param adaptive whether refusals widen the spacing above the floor (see {@link Pacing})
 * @param maxSpacing the most the spacing may widen to (at least {@code spacing})
 */
public record ApiLimits(String api, int maxInFlight, Duration spacing, boolean adaptive, Duration maxSpacing) {

  /** Limits with a fixed spacing, as configured, that does not adapt. */
  public ApiLimits(String api, int maxInFlight, Duration spacing) {
    this(api, maxInFlight, spacing, false, spacing);
  }

  public ApiLimits {
    if (maxSpacing.compareTo(spacing) < 0) {
      maxSpacing = spacing;
    }
  }

  /** The name of the API's in-flight permits (and, in the cluster, of the entry that also holds its start slots). */
  public PermitName permitName() {
    return PermitName.api(api);
  }

  /** How its starts are paced. */
  public Pacing.Params pacing() {
    return new Pacing.Params(spacing.toNanos(), maxSpacing.toNanos(), adaptive);
  }
}
