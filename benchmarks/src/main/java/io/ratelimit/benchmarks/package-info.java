/** Harnesses that measure ratelimit-testkit and print tables; run with {@code mvn -pl benchmarks exec:exec}. */
package io.ratelimit.benchmarks;
