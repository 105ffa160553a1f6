package io.ratelimit.hazelcast;

/** How this JVM shares the limiter state with the other workers of the run. */
public enum ClusterMode {
  /**
   * The default: the JVMs of this machine share the state in the run directory (private files, one lock),
   * exact across them and without a cluster member to start; a run whose directory a standalone
   * {@code ClusterMember} declared for its cluster is joined as in {@link #EMBEDDED}.
   */
  MACHINE,
  /**
   * One embedded member per JVM, on loopback; the forks of a build find each other on a port range. The
   * run starts in the run directory and moves into the cluster once every JVM has joined: the cluster
   * path of {@link #MEMBERS}, tried on one machine.
   */
  EMBEDDED,
  /** An embedded member joining an explicit member list: a run spanning several machines. */
  MEMBERS,
  /** A Hazelcast client of an existing cluster. */
  CLIENT,
  /** No cluster: limits hold within this JVM only. */
  LOCAL
}
