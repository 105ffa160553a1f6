package io.ratelimit.core.internal.rundir;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ratelimit.core.internal.pacing.StartTimes;
import io.ratelimit.hazelcast.RunDirectory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartTimesFileTest {
  @TempDir
  Path runDir;

  @Test
  void aStartNotedThroughOneMappingIsSeenThroughAnotherAndOnlyALaterOneReplacesIt() {
    // two mappings of one run directory, as two JVMs of the run have
    StartTimes one = StartTimesFile.in(RunDirectory.at(runDir));
    StartTimes other = StartTimesFile.in(RunDirectory.at(runDir));
    assertEquals(0, other.latest("billing api"));

    one.started("billing api", 2_000);
    assertEquals(2_000, other.latest("billing api"));
    other.started("billing api", 1_500); // noted late: an earlier start changes nothing
    assertEquals(2_000, one.latest("billing api"));
    other.started("billing api", 2_500);
    assertEquals(2_500, one.latest("billing api"));
  }

  @Test
  void eachApiHasItsOwnLatestStartWhateverItsName() {
    StartTimes starts = StartTimesFile.in(RunDirectory.at(runDir));
    starts.started("../search/ä", 7);
    starts.started("search", 3);
    assertEquals(7, starts.latest("../search/ä"));
    assertEquals(3, starts.latest("search"));
  }
}
