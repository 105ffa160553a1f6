package io.ratelimit.core;

import java.util.Objects;

/**
 * The name of a run-wide permit ({@link RateLimitCoordinator#acquire(PermitName, int, java.time.Duration)}):
 * an API's in-flight permits, the gate the run's requests pass one at a time once it is sequential, the gates
 * of the run's tests (the turnstile and the tests themselves, which a test that must run alone holds), a
 * category's cap, or a name of an integration's own. Each kind has its
 * own part of the run's name space ({@link #key()}), so names of different kinds never collide: an
 * integration's {@code named("api:default")} is not the default API's permit.
 */
public sealed interface PermitName {
  /** The name in the run's shared state: the kind's prefix, then the name. */
  String key();

  /** The in-flight permits of the API {@code api}. */
  static PermitName api(String api) {
    return new Api(api);
  }

  /** The permit the run's requests take one at a time once the run is sequential. */
  static PermitName sequentialRequests() {
    return Gate.SEQUENTIAL_REQUESTS;
  }

  /** The turnstile every test passes on its way in, and a test that must run alone holds while it runs. */
  static PermitName testTurnstile() {
    return Gate.TEST_TURNSTILE;
  }

  /** The run's tests: each holds one, and a test that must run alone holds the only one it lets out. */
  static PermitName tests() {
    return Gate.TESTS;
  }

  /** The cap of the tests of a category (a JUnit tag). */
  static PermitName category(String tag) {
    return new Category(tag);
  }

  /** A permit of an integration's own, e.g. the JUnit extension's report writer. */
  static PermitName named(String name) {
    return new Named(name);
  }

  /** An API's in-flight permits. */
  record Api(String api) implements PermitName {
    public Api {
      Objects.requireNonNull(api, "api");
    }

    @Override
    public String key() {
      return "api:" + api;
    }
  }

  /** A category's cap. */
  record Category(String tag) implements PermitName {
    public Category {
      Objects.requireNonNull(tag, "tag");
    }

    @Override
    public String key() {
      return "category:" + tag;
    }
  }

  /** A permit of an integration's own. */
  record Named(String name) implements PermitName {
    public Named {
      Objects.requireNonNull(name, "name");
    }

    @Override
    public String key() {
      return "named:" + name;
    }
  }

  /** The run's gates. */
  enum Gate implements PermitName {
    /** The requests of a sequential run. */
    SEQUENTIAL_REQUESTS("requests:sequential"),
    /** The turnstile of the run's tests. */
    TEST_TURNSTILE("tests:gate"),
    /** The run's tests. */
    TESTS("tests");

    private final String key;

    Gate(String key) {
      this.key = key;
    }

    @Override
    public String key() {
      return key;
    }
  }
}
