package io.ratelimit.core.internal.rundir;

import io.ratelimit.core.ApiStats;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A worker's counters in the run directory, one line per API: its name, the twelve counts, then the status
 * histogram ({@code 200=41,429=1}). Plain text, not JSON: every fork writes its counters a few seconds after
 * its start, and the JSON codec's own start (about 0.2 CPU s a fork, four forks on two cores) made the
 * arrivals of those seconds late and the API refused one. The report, at the end, is JSON.
 */
final class StatsFile {
  private static final int COUNTS = 12;

  private StatsFile() {}

  static String write(Map<String, ApiStats> stats) {
    StringBuilder out = new StringBuilder();
    stats.forEach((api, s) -> {
      out.append(URLEncoder.encode(api, StandardCharsets.UTF_8));
      for (long n : new long[] {s.requests(), s.attempts(), s.rateLimited(), s.retries(), s.succeededAfterRetry(), s.exhausted(),
          s.ioErrors(), s.permitTimeouts(), s.retryDelayTotalMs(), s.retryDelayMaxMs(), s.permitWaitMs(), s.permitWaitMaxMs()}) {
        out.append(' ').append(n);
      }
      out.append(' ');
      StringBuilder statuses = new StringBuilder();
      s.statusCounts().forEach((status, count) -> statuses.append(statuses.length() == 0 ? "" : ",").append(status).append('=').append(count));
      out.append(statuses.length() == 0 ? "-" : statuses).append('\n');
    });
    return out.toString();
  }

  /**
   * The counters {@link #write} wrote.
   *
   * @throws IllegalArgumentException when the text is not such counters
   */
  static Map<String, ApiStats> read(String text) {
    Map<String, ApiStats> stats = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split(" ");
      if (f.length != COUNTS + 2) {
        throw new IllegalArgumentException("not a worker's counters: " + line);
      }
      long[] n = new long[COUNTS];
      for (int i = 0; i < COUNTS; i++) {
        n[i] = Long.parseLong(f[i + 1]);
      }
      Map<Integer, Long> statuses = new TreeMap<>();
      if (!f[COUNTS + 1].equals("-")) {
        for (String pair : f[COUNTS + 1].split(",")) {
          int eq = pair.indexOf('=');
          statuses.put(Integer.parseInt(pair.substring(0, eq)), Long.parseLong(pair.substring(eq + 1)));
        }
      }
      stats.put(URLDecoder.decode(f[0], StandardCharsets.UTF_8),
          new ApiStats(n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8], n[9], n[10], n[11], statuses));
    }
    return stats;
  }
}
