package io.ratelimit.junit.internal;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Ends this JVM's ratelimit session when JUnit's launcher session closes (registered as a service). */
public final class SessionListener implements LauncherSessionListener {

  @Override
  public void launcherSessionClosed(LauncherSession session) {
    RateLimitSession.finishCurrent();
  }
}
