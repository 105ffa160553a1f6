package io.ratelimit.core.internal.leases;

import io.ratelimit.core.ResourcePool;
import io.ratelimit.settings.SettingKey;
import io.ratelimit.settings.SettingsReader;
import io.ratelimit.settings.ValueParser;
import io.ratelimit.settings.ValueParsers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of resource leases.
 *
 * @param pools {@code PYTEST_RESOURCE_POOLS}: declared pools by name
 * @param leaseWait {@code PYTEST_LEASE_WAIT}: longest wait for a resource's sole use
 * @param poolWait {@code PYTEST_POOL_WAIT}: longest wait for enough items of a pool
 * @param leaseTimeout {@code PYTEST_LEASE_TIMEOUT}: a lease ends this long after it was taken, held or not
 */
public record LeaseSettings(Map<String, ResourcePool> pools, Duration leaseWait, Duration poolWait, Duration leaseTimeout) {
  static final SettingKey RESOURCE_POOLS = SettingKey.of("resource-pools");
  static final SettingKey LEASE_WAIT = SettingKey.of("lease-wait");
  static final SettingKey POOL_WAIT = SettingKey.of("pool-wait");
  static final SettingKey LEASE_TIMEOUT = SettingKey.of("lease-timeout");

  /** Defaults: no pools, 300 s for a resource, 30 s for a pool, leases end after 1800 s. */
  public static final LeaseSettings DEFAULTS = new LeaseSettings(Map.of(), Duration.ofSeconds(300), Duration.ofSeconds(30), Duration.ofSeconds(1800));

  public LeaseSettings {
    pools = Map.copyOf(pools);
  }

  /** Reads the settings; bad values are recorded in {@code reader}, which the caller checks. */
  public static LeaseSettings read(SettingsReader reader) {
    Map<String, ResourcePool> pools = reader.read(RESOURCE_POOLS, Map.<String, ResourcePool>of(), poolsParser()).value();
    Duration leaseWait = reader.read(LEASE_WAIT, DEFAULTS.leaseWait(), ValueParsers.seconds(0, 86_400)).value();
    Duration poolWait = reader.read(POOL_WAIT, DEFAULTS.poolWait(), ValueParsers.seconds(0, 86_400)).value();
    Duration timeout = reader.read(LEASE_TIMEOUT, DEFAULTS.leaseTimeout(), ValueParsers.seconds(1, 604_800)).value();
    return new LeaseSettings(pools, leaseWait, poolWait, timeout);
  }

  /** {@code name=item,item..;name=...}, e.g. {@code repos=repo-1..repo-10;accounts=alice,bob}. */
  static ValueParser<Map<String, ResourcePool>> poolsParser() {
    return new ValueParser<>() {
      @Override
      public Map<String, ResourcePool> parse(String text) {
        Map<String, ResourcePool> out = new LinkedHashMap<>();
        for (String declaration : text.split(";", -1)) {
          String[] kv = declaration.split("=", -1);
          if (kv.length != 2) {
            throw new IllegalArgumentException();
          }
          ResourcePool pool = ResourcePool.parse(kv[0].trim(), kv[1]);
          if (out.put(pool.name(), pool) != null) {
            throw new IllegalArgumentException();
          }
        }
        return out;
      }

      @Override
      public String accepted() {
        return "pools separated by ';', each name=items with items separated by ',' and ranges like repo-1..repo-10, "
            + "e.g. repos=repo-1..repo-10;accounts=alice,bob (names of letters, digits and . _ : @ / -, items distinct)";
      }
    };
  }
}
