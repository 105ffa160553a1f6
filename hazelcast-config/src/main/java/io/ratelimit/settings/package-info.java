/**
 * How every ratelimit-testkit setting is read and validated: one key per setting, known both as a
 * {@code PYTEST_*} environment variable and as a {@code ratelimit.*} system property / JUnit
 * configuration parameter, with one clear error for any bad value.
 */
package io.ratelimit.settings;
