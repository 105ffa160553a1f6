package io.ratelimit.junit.internal;

import io.ratelimit.core.ApiStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.owasp.encoder.Encode;

/**
 * The report as one self-contained HTML page: inline CSS and an inline SVG chart drawn here, no scripts,
 * no external references, so it opens anywhere, offline, as a CI artifact.
 */
final class HtmlReport {
  private static final java.util.List<String> COLOURS = java.util.List.of("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf");

  private HtmlReport() {}

  static String render(ReportData data) {
    ApiStats t = data.stats().totals();
    StringBuilder html = new StringBuilder(16_384);
    html.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ratelimit-testkit report</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}th{background:#f3f3f3}")
        .append("td:first-child,th:first-child{text-align:left}.cards{display:flex;gap:12px;flex-wrap:wrap}")
        .append(".card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}.card b{display:block;font-size:1.5em}")
        .append(".mode{padding:6px 10px;border-radius:4px;background:#eef6ee}.mode.seq{background:#fdf0e0}small{color:#666}")
        .append(".advice{font-size:1.1em;padding:8px 12px;border-left:4px solid #1f77b4;background:#eef4fb}")
        .append("</style></head><body>");
    html.append("<h1>ratelimit-testkit report</h1><p><small>generated ").append(esc(data.generatedAt().toString()))
        .append(" &middot; ").append(esc(data.stats().coordination())).append("</small></p>");

    html.append("<div class=\"cards\">");
    card(html, "requests", Long.toString(t.requests()));
    card(html, "attempts", Long.toString(t.attempts()));
    card(html, "429 answers", Long.toString(t.rateLimited()));
    card(html, "retries", Long.toString(t.retries()));
    card(html, "success rate", pct(t.successRate()));
    card(html, "avg retry delay", String.format(Locale.ROOT, "%.0f ms", t.avgRetryDelayMs()));
    card(html, "throttled tests", Long.toString(data.throttledTests()));
    card(html, "suite wall time", String.format(Locale.ROOT, "%.1f s", data.suite().wallMs() / 1000.0));
    card(html, "speed-up", String.format(Locale.ROOT, "%.2fx", data.suite().speedup()));
    html.append("</div>");

    html.append("<h2>What to change</h2><p class=\"advice\">").append(esc(data.advice())).append("</p>");
    if (!data.learned().isEmpty()) {
      html.append("<h2>What the API taught the run</h2><table><tr><th>API</th><th>configured delay</th><th>needed</th><th>margin</th></tr>");
      data.learned().forEach((api, l) -> html.append(String.format(Locale.ROOT,
          "<tr><td>%s</td><td>%.1f ms</td><td>%.1f ms</td><td>%.1f%%</td></tr>", esc(api), l.configuredMs(), l.neededMs(),
          l.configuredMs() == 0 ? 0 : 100 * (l.neededMs() - l.configuredMs()) / l.configuredMs())));
      html.append("</table>");
    }

    html.append("<h2>Run mode</h2><p class=\"mode").append(data.mode().sequential() ? " seq" : "").append("\">")
        .append(data.mode().sequential()
            ? "Sequential since " + esc(data.mode().switchedAt().map(Object::toString).orElse("")) + ": " + esc(data.mode().reason().orElse(""))
            : "Parallel throughout the run.")
        .append("</p>");

    html.append("<h2>Timeline</h2>").append(chart(data.timeline()));
    if (!data.verdicts().isEmpty()) {
      html.append("<h2>Verdicts</h2><p>");
      data.verdicts().forEach((verdict, n) -> html.append("<span class=\"card\"><b>").append(n).append("</b>").append(esc(verdict))
          .append("</span> "));
      html.append("</p><p><small>throttled: the limiter gave up on one of the test's requests (retries exhausted on 429/503, or no "
          + "permit in time); the test says nothing about the code under test</small></p>");
      html.append(testTable(data.throttledList(), "no test was throttled"));
    }
    html.append("<h2>Tests that waited longest</h2>").append(testTable(data.topWaiters(), "no test waited"));
    html.append("<h2>Tests that got 429s</h2>").append(testTable(data.topRateLimited(), "no test got a 429"));
    html.append("<details><summary>All ").append(data.tests().size()).append(" tests</summary>")
        .append(testTable(List.copyOf(data.tests().entrySet()), "no test ran")).append("</details>");
    html.append("<h2>Workers</h2>").append(table("worker", data.stats().byWorker()));
    html.append("<h2>APIs</h2>").append(table("API", data.stats().byApi()));

    if (!data.leaseWaits().isEmpty()) {
      html.append("<h2>Lease waits</h2><table><tr><th>resource</th><th>leases</th><th>not granted</th><th>total wait</th><th>max wait</th></tr>");
      data.leaseWaits().forEach((resource, w) -> html.append("<tr>").append(td(resource)).append(td(w.acquisitions()))
          .append(td(w.unavailable())).append(td(w.totalWaitMs() + " ms")).append(td(w.maxWaitMs() + " ms")).append("</tr>"));
      html.append("</table>");
    }

    html.append("<h2>Suite</h2><table><tr><th>tests</th><th>workers</th><th>wall time</th><th>test time</th><th>speed-up</th></tr><tr>")
        .append(td(Integer.toString(data.suite().tests()))).append(td(Integer.toString(data.suite().workers())))
        .append(td(data.suite().wallMs() + " ms")).append(td(data.suite().testTimeMs() + " ms"))
        .append(td(String.format(Locale.ROOT, "%.2fx", data.suite().speedup()))).append("</tr></table>");

    html.append("<h2>Configuration</h2><table><tr><th>setting</th><th>value</th><th>source</th><th>property</th></tr>");
    data.config().forEach((name, v) -> html.append("<tr>").append(td(name)).append(td(v.get("value"))).append(td(v.get("source")))
        .append(td(v.get("property"))).append("</tr>"));
    html.append("</table></body></html>\n");
    return html.toString();
  }

  private static void card(StringBuilder html, String label, String value) {
    html.append("<div class=\"card\"><b>").append(esc(value)).append("</b>").append(esc(label)).append("</div>");
  }

  private static String table(String first, Map<String, ApiStats> rows) {
    StringBuilder out = new StringBuilder("<table><tr><th>").append(esc(first)).append("</th><th>requests</th><th>attempts</th>"
        + "<th>429s</th><th>retries</th><th>succeeded after retry</th><th>exhausted</th><th>I/O errors</th><th>retry rate</th>"
        + "<th>success rate</th><th>avg retry delay</th><th>max retry delay</th><th>permit wait</th></tr>");
    rows.forEach((name, s) -> out.append("<tr>").append(td(name)).append(td(s.requests())).append(td(s.attempts()))
        .append(td(s.rateLimited())).append(td(s.retries())).append(td(s.succeededAfterRetry())).append(td(s.exhausted()))
        .append(td(s.ioErrors())).append(td(String.format(Locale.ROOT, "%.3f", s.retryRate()))).append(td(pct(s.successRate())))
        .append(td(String.format(Locale.ROOT, "%.0f ms", s.avgRetryDelayMs()))).append(td(s.retryDelayMaxMs() + " ms"))
        .append(td(s.permitWaitMs() + " ms")).append("</tr>"));
    return out.append("</table>").toString();
  }

  /** Per test: what it sent, and what it waited for (permits and start slots, its turn, its leases). */
  private static String testTable(List<Map.Entry<String, ReportData.TestFigures>> rows, String none) {
    if (rows.isEmpty()) {
      return "<p><small>" + esc(none) + "</small></p>";
    }
    StringBuilder out = new StringBuilder("<table><tr><th>test</th><th>verdict</th><th>runs</th><th>requests</th><th>attempts</th>"
        + "<th>429s</th><th>retries</th><th>permit wait</th><th>turn wait</th><th>lease wait</th><th>waited in all</th><th>own time</th></tr>");
    rows.forEach(e -> {
      ReportData.TestFigures t = e.getValue();
      out.append("<tr>").append(td(e.getKey())).append(td(t.verdict() == null ? "" : t.verdict())).append(td(t.runs())).append(td(t.requests())).append(td(t.attempts()))
          .append(td(t.rateLimited())).append(td(t.retries())).append(td(seconds(t.permitWaitMs()))).append(td(seconds(t.turnWaitMs())))
          .append(td(seconds(t.leaseWaitMs()))).append(td(seconds(t.waitedMs()))).append(td(seconds(t.durationMs()))).append("</tr>");
    });
    return out.append("</table>").toString();
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
  }

  /** A tick step of 1, 2 or 5 times a power of ten, giving at most ten ticks over {@code span} seconds. */
  static long tickStep(long span) {
    for (long magnitude = 1; ; magnitude *= 10) {
      for (long factor : new long[] {1, 2, 5}) {
        if (span / (factor * magnitude) <= 10) {
          return factor * magnitude;
        }
      }
    }
  }

  /**
   * Four panels (requests, 429s, retries per second, and the effective delay between request starts), one
   * line per worker, on a time axis in seconds.
   */
  static String chart(Map<String, List<Timeline.Sample>> timeline) {
    if (timeline.values().stream().allMatch(List::isEmpty)) {
      return "<p><small>no samples</small></p>";
    }
    long first = timeline.values().stream().flatMap(List::stream).mapToLong(Timeline.Sample::epochSecond).min().orElse(0);
    long last = timeline.values().stream().flatMap(List::stream).mapToLong(Timeline.Sample::epochSecond).max().orElse(first);
    int width = 760;
    int panel = 120; // each panel has 40 px below it for the time axis and the next title
    StringBuilder svg = new StringBuilder();
    int panels = 4;
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width + 60).append("\" height=\"").append(panels * (panel + 40) + 45)
        .append("\" role=\"img\" aria-label=\"requests, 429s and retries per second, and the effective delay, per worker\" font-size=\"11\">");
    List<ToLongFunction<Timeline.Sample>> measures = List.of(Timeline.Sample::requests, Timeline.Sample::rateLimited, Timeline.Sample::retries);
    String[] titles = {"requests / s", "429 answers / s", "retries / s", "effective delay between starts, ms (the configured delay is its floor)"};
    for (int p = 0; p < panels; p++) {
      int top = 20 + p * (panel + 40);
      Map<String, double[]> rates = new java.util.TreeMap<>();
      double max = 1;
      for (Map.Entry<String, List<Timeline.Sample>> worker : timeline.entrySet()) {
        double[] values = p < 3 ? perSecond(worker.getValue(), measures.get(p), first, last) : delays(worker.getValue(), first, last);
        rates.put(worker.getKey(), values);
        for (double v : values) {
          max = Math.max(max, v);
        }
      }
      svg.append("<text x=\"50\" y=\"").append(top - 5).append("\" font-weight=\"bold\">").append(titles[p]).append("</text>");
      svg.append("<rect x=\"50\" y=\"").append(top).append("\" width=\"").append(width).append("\" height=\"").append(panel)
          .append("\" fill=\"none\" stroke=\"#ccc\"/>");
      svg.append("<text x=\"45\" y=\"").append(top + 10).append("\" text-anchor=\"end\">").append(String.format(Locale.ROOT, "%.0f", max)).append("</text>");
      svg.append("<text x=\"45\" y=\"").append(top + panel).append("\" text-anchor=\"end\">0</text>");
      long span = Math.max(1, last - first);
      long step = tickStep(span);
      for (long t = 0; t <= span; t += step) {
        double x = 50 + (double) t * width / span;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>", x, top, x, top + panel));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>", x, top + panel, x,
            top + panel + 4));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d s</text>", x, top + panel + 15, t));
      }
      int c = 0;
      for (double[] values : rates.values()) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
          if (values[i] < 0) {
            continue; // no delay known yet at that second
          }
          double x = 50 + (values.length == 1 ? 0 : (double) i * width / (values.length - 1));
          double y = top + panel - values[i] * panel / max;
          points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        svg.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(COLOURS.get(c++ % COLOURS.size()))
            .append("\" points=\"").append(points.toString().trim()).append("\"/>");
      }
    }
    int legendY = panels * (panel + 40) + 15;
    int c = 0;
    for (String worker : timeline.keySet()) {
      int x = 50 + c * 150;
      svg.append("<rect x=\"").append(x).append("\" y=\"").append(legendY - 9).append("\" width=\"10\" height=\"10\" fill=\"")
          .append(COLOURS.get(c++ % COLOURS.size())).append("\"/><text x=\"").append(x + 14).append("\" y=\"").append(legendY).append("\">")
          .append(esc(worker.length() > 28 ? worker.substring(0, 28) + "..." : worker)).append("</text>");
    }
    svg.append("<text x=\"").append(50 + width).append("\" y=\"").append(legendY + 18).append("\" text-anchor=\"end\">")
        .append("seconds since the first sample (").append(last - first).append(" s in all)</text></svg>");
    return svg.toString();
  }

  /** Per-second increases of a cumulative counter, over every second from {@code first} to {@code last}. */
  private static double[] perSecond(List<Timeline.Sample> samples, ToLongFunction<Timeline.Sample> measure, long first, long last) {
    double[] out = new double[(int) (last - first + 1)];
    List<Timeline.Sample> sorted = new ArrayList<>(samples);
    sorted.sort(java.util.Comparator.comparingLong(Timeline.Sample::epochSecond));
    long previous = 0;
    for (Timeline.Sample s : sorted) {
      int i = (int) (s.epochSecond() - first);
      long value = measure.applyAsLong(s);
      out[i] += Math.max(0, value - previous);
      previous = value;
    }
    return out;
  }

  /** The effective delay at every second from {@code first} to {@code last}: the latest sample's, -1 before any. */
  private static double[] delays(List<Timeline.Sample> samples, long first, long last) {
    double[] out = new double[(int) (last - first + 1)];
    java.util.Arrays.fill(out, -1);
    for (Timeline.Sample s : samples) {
      out[(int) (s.epochSecond() - first)] = s.delayMs();
    }
    for (int i = 1; i < out.length; i++) {
      if (out[i] < 0) {
        out[i] = out[i - 1];
      }
    }
    return out;
  }

  private static String td(Object value) {
    return "<td>" + esc(String.valueOf(value)) + "</td>";
  }

  private static String pct(double share) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * share);
  }

  static String esc(String text) {
    return text == null ? "" : Encode.forHtml(text);
  }

}
