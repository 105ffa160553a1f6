package io.ratelimit.junit.internal;

import io.ratelimit.core.ApiStats;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** The lines printed at the end of the run. */
final class ConsoleSummary {
  private ConsoleSummary() {}

  static String of(ReportData data, Path report) {
    ApiStats t = data.stats().totals();
    StringBuilder out = new StringBuilder();
    out.append("\n==================== ratelimit-testkit ====================\n");
    out.append(String.format(Locale.ROOT, "workers     %d (%s)%n", data.suite().workers(), data.stats().coordination()));
    out.append(String.format(Locale.ROOT, "requests    %d logical, %d attempts on the wire%n", t.requests(), t.attempts()));
    out.append(String.format(Locale.ROOT, "429s        %d (%.1f%% of attempts); retries %d, succeeded after retry %d, exhausted %d%n",
        t.rateLimited(), 100 * t.rateLimitedShare(), t.retries(), t.succeededAfterRetry(), t.exhausted()));
    out.append(String.format(Locale.ROOT, "success     %.1f%% of requests after retries%n", 100 * t.successRate()));
    out.append(String.format(Locale.ROOT, "waits       retry delay avg %.0f ms, max %d ms; permit waits %d ms in all%n",
        t.avgRetryDelayMs(), t.retryDelayMaxMs(), t.permitWaitMs()));
    out.append(String.format(Locale.ROOT, "mode        %s%n", data.mode().sequential()
        ? "sequential since " + data.mode().switchedAt().map(Object::toString).orElse("start") + ": " + data.mode().reason().orElse("")
        : "parallel throughout"));
    out.append(String.format(Locale.ROOT, "suite       %d tests, %.1f s wall, %.1f s of tests, speed-up %.2fx%n",
        data.suite().tests(), data.suite().wallMs() / 1000.0, data.suite().testTimeMs() / 1000.0, data.suite().speedup()));
    if (!data.verdicts().isEmpty()) {
      java.util.List<String> counts = new java.util.ArrayList<>();
      data.verdicts().forEach((verdict, n) -> counts.add(n + " " + verdict));
      out.append(String.format(Locale.ROOT, "verdicts    %s%n", String.join("; ", counts)));
    }
    if (!data.throttledList().isEmpty()) {
      out.append(String.format(Locale.ROOT, "throttled   %d test(s) at the end, %d passed on re-run (the limiter gave up on a request: "
          + "not a regression): %s%n", data.throttledTests(),
          data.verdicts().getOrDefault(Verdict.THROTTLED_PASSED_ON_RERUN.label(), 0L),
          String.join(", ", data.throttledList().stream().limit(5).map(Map.Entry::getKey).toList()) + (data.throttledList().size() > 5 ? ", ..." : "")));
    }
    data.leaseWaits().forEach((resource, w) -> out.append(String.format(Locale.ROOT,
        "lease       %s: %d leases, %d not granted, waited %d ms in all, max %d ms%n", resource, w.acquisitions(), w.unavailable(),
        w.totalWaitMs(), w.maxWaitMs())));
    data.topWaiters().stream().findFirst().ifPresent(e -> out.append(String.format(Locale.ROOT,
        "waited most %s: %.1f s (permits %.1f, turn %.1f, leases %.1f)%n", e.getKey(), e.getValue().waitedMs() / 1000.0,
        e.getValue().permitWaitMs() / 1000.0, e.getValue().turnWaitMs() / 1000.0, e.getValue().leaseWaitMs() / 1000.0)));
    data.learned().forEach((api, l) -> out.append(String.format(Locale.ROOT,
        "learned     %s needed %.1f ms between starts, not %.1f (kept for the rest of the run)%n", api, l.neededMs(), l.configuredMs())));
    out.append("advice      ").append(data.advice()).append('\n');
    out.append("report      ").append(report.toAbsolutePath()).append('\n');
    out.append("===========================================================");
    return out.toString();
  }
}
