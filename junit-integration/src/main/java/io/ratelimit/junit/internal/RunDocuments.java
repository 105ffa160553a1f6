package io.ratelimit.junit.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import io.ratelimit.core.DocumentKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The documents each worker shares with the run for the report, each kind a type with its codec: what a
 * worker publishes when its session ends (or, for the timeline, as it goes), and what the report's writer
 * reads back, typed the same.
 */
final class RunDocuments {
  /** When the worker's session started and ended, how long its tests ran together, and how many there were. */
  record SuiteTiming(long startMs, long endMs, long testTimeMs, int tests) {}

  /** The report a worker wrote: how many finished sessions it covers, and where it is. */
  record ReportWritten(int sessions, String path) {}

  static final DocumentKind<SuiteTiming> SUITE = json("suite", new TypeReference<>() {});
  static final DocumentKind<List<Timeline.Sample>> TIMELINE = DocumentKind.of("timeline", Json::write, RunDocuments::samples);
  static final DocumentKind<Map<String, ReportData.LeaseWaits>> LEASES = json("leases", new TypeReference<>() {});
  static final DocumentKind<Map<String, ReportData.Learned>> LEARNED = json("learned", new TypeReference<>() {});
  static final DocumentKind<Map<String, ReportData.TestFigures>> TESTS = json("tests", new TypeReference<>() {});
  static final DocumentKind<ReportWritten> REPORT = json("report", new TypeReference<>() {});

  private RunDocuments() {}

  private static <T> DocumentKind<T> json(String name, TypeReference<T> type) {
    return DocumentKind.of(name, Json::write, text -> Json.read(text, type));
  }

  /** A timeline's samples; one shared by an older build has no delay ({@code -1}: not known) and no pause. */
  private static List<Timeline.Sample> samples(String text) {
    List<Timeline.Sample> samples = new ArrayList<>();
    Json.read(text).forEach(n -> samples.add(new Timeline.Sample(n.get("epochSecond").asLong(), n.get("requests").asLong(),
        n.get("rateLimited").asLong(), n.get("retries").asLong(), n.has("delayMs") ? n.get("delayMs").asDouble() : -1,
        n.has("pausedMs") ? n.get("pausedMs").asLong() : 0)));
    return samples;
  }
}
