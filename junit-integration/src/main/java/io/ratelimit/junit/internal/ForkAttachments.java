package io.ratelimit.junit.internal;

import io.ratelimit.core.spi.Logs;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;

/**
 * What a fork leaves beside its tests in JUnit's own reports, once its engine has run: the path of the run's
 * report as an entry ({@code ratelimit.report}; the report itself is written when the last fork of the run
 * ends), and, where JUnit can attach files (5.12 and later), this fork's figures as
 * {@code ratelimit-<worker>.json}. Kept in the engine's store, which JUnit closes when the engine is done
 * (JUnit 6 as an {@code AutoCloseable}, 5.x before 5.13 only as a {@code CloseableResource}); a re-run
 * ({@code rerunFailingTestsCount}) attaches them again, with the figures of both runs.
 */
@SuppressWarnings("deprecation")
public final class ForkAttachments implements AutoCloseable, ExtensionContext.Store.CloseableResource {
  private static final Logger LOG = Logs.get(ForkAttachments.class);
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ForkAttachments.class);

  private final ExtensionContext engine;
  private final RateLimitSession session;

  private ForkAttachments(ExtensionContext engine, RateLimitSession session) {
    this.engine = engine;
    this.session = session;
  }

  /** Registers the attachments with the engine {@code context} belongs to, once per engine run. */
  public static void register(ExtensionContext context, RateLimitSession session) {
    ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
    synchronized (session) { // get, then put: the one store API that JUnit 5.10+ and 6.x share
      if (store.get(ForkAttachments.class) == null) {
        store.put(ForkAttachments.class, new ForkAttachments(context.getRoot(), session));
      }
    }
  }

  @Override
  public void close() {
    String worker = session.coordinator().workerId();
    engine.publishReportEntry(Map.of("ratelimit.report", session.reportPage().toString(), "ratelimit.worker", worker));
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("worker", worker);
    figures.put("fork", System.getProperty("surefire.forkNumber", ""));
    figures.put("report", session.reportPage().toString());
    figures.put("tests", session.testFigures());
    try {
      JUnitFiles.publishJson(engine, "ratelimit-" + worker.replaceAll("[^A-Za-z0-9._-]", "_") + ".json", Json.write(figures));
    } catch (RuntimeException e) {
      // an attachment is a convenience: a runner that cannot take it (no output directory) must not fail the run
      LOG.debug("ratelimit-testkit: could not attach this fork's figures to JUnit's report: {}", e.toString());
    }
  }
}
