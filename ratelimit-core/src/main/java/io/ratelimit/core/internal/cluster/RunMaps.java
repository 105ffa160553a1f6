package io.ratelimit.core.internal.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * The maps the run's state lives in, in its cluster: named here only, so the state and the move into it
 * read the same ones.
 *
 * @param permits per permit name: its leases, waiters and pacing
 * @param stats per worker: its counters
 * @param run the run mode and the claims
 * @param window the window of recent attempts
 * @param documents per kind and worker: the published documents
 */
record RunMaps(IMap<String, PermitTable> permits, IMap<String, String> stats, IMap<String, String> run, IMap<String, Long> window,
    IMap<String, String> documents) {

  static RunMaps of(HazelcastInstance hazelcast) {
    return new RunMaps(hazelcast.getMap("ratelimit.permits"), hazelcast.getMap("ratelimit.stats"), hazelcast.getMap("ratelimit.run"),
        hazelcast.getMap("ratelimit.window"), hazelcast.getMap("ratelimit.documents"));
  }
}
