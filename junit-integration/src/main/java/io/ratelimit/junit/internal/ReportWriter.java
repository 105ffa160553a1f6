package io.ratelimit.junit.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes {@code ratelimit-report.json} and {@code ratelimit-report.html} into the report directory. */
final class ReportWriter {
  static final String JSON_FILE = "ratelimit-report.json";
  static final String HTML_FILE = "ratelimit-report.html";

  private final Path directory;

  ReportWriter(Path directory) {
    this.directory = directory;
  }

  /** Writes both files (each atomically, through a temporary file); returns the HTML page's path. */
  Path write(ReportData data) throws IOException {
    Files.createDirectories(directory);
    writeAtomically(directory.resolve(JSON_FILE), Json.MAPPER.writeValueAsString(data.toJsonTree()));
    Path html = directory.resolve(HTML_FILE);
    writeAtomically(html, HtmlReport.render(data));
    return html;
  }

  private static void writeAtomically(Path target, String content) throws IOException {
    Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
    Files.writeString(temp, content, StandardCharsets.UTF_8);
    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
