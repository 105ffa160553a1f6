package io.ratelimit.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A named pool of interchangeable shared resources (test accounts, pre-provisioned repositories) that
 * tests lease a few at a time through {@link ResourceLeases#acquireFromPool}. Immutable.
 *
 * @param name the pool's name, e.g. {@code repos}
 * @param items the resources in the pool, in the order they are handed out, e.g. {@code repo-1..repo-10}
 */
public record ResourcePool(String name, List<String> items) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:@/-]{1,128}");
  private static final Pattern RANGE = Pattern.compile("([A-Za-z0-9._:@/-]*?)([0-9]{1,6})\\.\\.(?:\\1)?([0-9]{1,6})");
  private static final int MAX_ITEMS = 10_000;

  /** Checks the name and items: names of 1 to 128 letters, digits or {@code . _ : @ / -}, items distinct. */
  public ResourcePool {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("pool name '" + name + "': use 1 to 128 letters, digits or . _ : @ / -");
    }
    if (items.isEmpty() || items.size() > MAX_ITEMS) {
      throw new IllegalArgumentException("pool '" + name + "' needs 1 to " + MAX_ITEMS + " items, has " + items.size());
    }
    for (String item : items) {
      if (item == null || !NAME.matcher(item).matches()) {
        throw new IllegalArgumentException("pool '" + name + "' item '" + item + "': use 1 to 128 letters, digits or . _ : @ / -");
      }
    }
    if (new LinkedHashSet<>(items).size() != items.size()) {
      throw new IllegalArgumentException("pool '" + name + "' lists an item twice: " + items);
    }
    items = List.copyOf(items);
  }

  /** A pool of the given items. */
  public static ResourcePool of(String name, String... items) {
    return new ResourcePool(name, List.of(items));
  }

  /**
   * A pool from its text form: items separated by commas, where {@code repo-1..repo-10} (or {@code repo-1..10})
   * stands for {@code repo-1} to {@code repo-10}.
   *
   * @throws IllegalArgumentException when the text is not of that form
   */
  public static ResourcePool parse(String name, String items) {
    List<String> out = new ArrayList<>();
    for (String part : items.split(",", -1)) {
      String item = part.trim();
      Matcher range = RANGE.matcher(item);
      if (range.matches()) {
        int from = Integer.parseInt(range.group(2));
        int to = Integer.parseInt(range.group(3));
        if (to < from || to - from >= MAX_ITEMS) {
          throw new IllegalArgumentException("pool '" + name + "' range '" + item + "' must count up, at most " + MAX_ITEMS + " items");
        }
        for (int i = from; i <= to; i++) {
          out.add(range.group(1) + i);
        }
      } else {
        out.add(item);
      }
    }
    return new ResourcePool(name, out);
  }

  /** How many resources the pool has. */
  public int size() {
    return items.size();
  }
}
