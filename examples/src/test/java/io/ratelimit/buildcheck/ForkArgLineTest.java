package io.ratelimit.buildcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fork's JVM got both halves of Surefire's argLine: JaCoCo's agent (set by jacoco:prepare-agent, as in
 * a user's build) and the Hazelcast openings the root pom adds after {@code @{argLine}}. Outside the example
 * suite's package, so the fault drills that run that suite in their own JVMs do not pick it up.
 */
class ForkArgLineTest {

  @Test
  void theForkHasJacocosAgentAndTheHazelcastOpenings() {
    List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
    assertTrue(arguments.stream().anyMatch(a -> a.startsWith("-javaagent:") && a.contains("jacoco")), "JaCoCo's agent: " + arguments);
    assertTrue(arguments.contains("--add-opens") || arguments.stream().anyMatch(a -> a.startsWith("--add-opens")),
        "the Hazelcast openings: " + arguments);
    assertTrue(String.join(" ", arguments).contains("java.base/java.lang=ALL-UNNAMED"), "the Hazelcast openings: " + arguments);
  }
}
