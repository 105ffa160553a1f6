package io.ratelimit.core.internal.state;

import io.ratelimit.core.internal.pacing.Pacing;
import java.time.Duration;

/**
 * A request's admission: an in-flight permit of the API and, with it, a start slot.
 *
 * @param permit the permit, to release when the response is done
 * @param slot when to start, and what the pacing knew then
 */
public record Admission(Permit permit, Pacing.Slot slot) {
  /** How long to wait from now before starting. */
  public Duration startIn() {
    return slot.startIn();
  }
}
