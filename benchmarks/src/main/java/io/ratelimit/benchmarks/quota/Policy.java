package io.ratelimit.benchmarks.quota;

/** A row's API: a policy of {@link QuotaServer} or a {@link RefereeProxy}. */
enum Policy {
  LEAKY("leaky"),
  LEAKY_BURST("leaky-burst"),
  SLIDING("sliding"),
  FIXED_HEADERS("fixed-headers"),
  NGINX_LEAKY("nginx-leaky"),
  NGINX_BURST("nginx-burst"),
  HAPROXY_WINDOW("haproxy-window"),
  NGINX_CONN("nginx-conn");

  final String key;

  Policy(String key) {
    this.key = key;
  }

  RefereeProxy.Kind referee() {
    switch (this) {
      case NGINX_LEAKY: return RefereeProxy.Kind.NGINX_LEAKY;
      case NGINX_BURST: return RefereeProxy.Kind.NGINX_BURST;
      case HAPROXY_WINDOW: return RefereeProxy.Kind.HAPROXY_WINDOW;
      case NGINX_CONN: return RefereeProxy.Kind.NGINX_CONN;
      default: return null;
    }
  }
}
