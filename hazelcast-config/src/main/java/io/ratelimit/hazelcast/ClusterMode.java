package io.ratelimit.hazelcast;

/** How this JVM shares the limiter state with the other workers of the run. */
public enum ClusterMode {
  /** One embedded member per JVM, on loopback; the forks of a build find each other on a port range. */
  EMBEDDED,
  /** An embedded member joining an explicit member list: a run spanning several machines. */
  MEMBERS,
  /** A Hazelcast client of an existing cluster. */
  CLIENT,
  /** No cluster: limits hold within this JVM only. */
  LOCAL
}
