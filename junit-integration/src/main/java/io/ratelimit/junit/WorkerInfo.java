package io.ratelimit.junit;

import io.ratelimit.core.RunMode;
import java.util.OptionalInt;

/**
 * Runtime facts about the worker a test runs on, injectable into tests.
 *
 * @param workerId this JVM's worker id in the statistics
 * @param forkNumber Surefire's fork number ({@code surefire.forkNumber}) when set
 * @param clusterSize workers in the run's cluster now (1 in local mode)
 * @param coordination how limits are shared: {@code embedded ...}, {@code client ...} or {@code local ...}
 * @param runMode parallel, or sequential since when and why
 */
public record WorkerInfo(String workerId, OptionalInt forkNumber, int clusterSize, String coordination, RunMode runMode) {}
