/**
 * Leases on shared test resources: the broker that hands them out (bounded waits, fairness, freezes), the
 * lease tables' rules, and the store port each backend implements.
 */
package io.ratelimit.core.internal.leases;
