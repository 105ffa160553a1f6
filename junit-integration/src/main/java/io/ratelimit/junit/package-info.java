/** The JUnit Jupiter extension: inject rate-limited clients and statistics into tests. */
package io.ratelimit.junit;
