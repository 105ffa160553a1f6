package io.ratelimit.benchmarks.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The drills run the example suite as the examples' build does: without the tags it leaves out. */
class SuiteWorkerTagsTest {
  @Test
  void theDrillsLeaveOutWhatTheExamplesBuildLeavesOut() throws IOException {
    String pom = Files.readString(Path.of("../examples/pom.xml"));
    Matcher excluded = Pattern.compile("<examples.excludedGroups>([^<]*)</examples.excludedGroups>").matcher(pom);
    assertTrue(excluded.find(), "examples/pom.xml names its excluded groups");
    assertEquals(List.of(excluded.group(1).split(",")), SuiteWorker.EXCLUDED_TAGS);
  }
}
