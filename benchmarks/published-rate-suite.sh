#!/usr/bin/env bash
# A suite at the API's published rate (issue 14): the examples' published-rate suite (40 tests in 4 classes,
# 5 requests each: 200 requests) in PYTEST_WORKERS=4 Surefire forks, against nginx `limit_req` at 20r/s with
# no burst (`limit_req_status 429`) in front of the demo API on loopback, with PYTEST_RATE_LIMIT_DELAY=0.05
# (exactly 1 / the published rate) and PYTEST_MAX_CONCURRENT_REQUESTS=4, once with PYTEST_ADAPTIVE_DELAY=true
# and once with =false per round. The quota bound is 200 / 20 = 10 s. Prints one Markdown table per round:
# the report's figures, Maven's wall time, and nginx's access log as the referee (attempts, 429s, and the
# span from the first attempt to the last, which leaves out the forks' start).
# Needs `mvn -B -q install -DskipTests` first, and nginx (`apt-get install -y nginx-light`).
#   bash benchmarks/published-rate-suite.sh
# Settings: PUBLISHED_RATE_ROUNDS (3), PUBLISHED_RATE_ADAPTIVE (`true,false`: which runs, in the first round's
# order; later rounds alternate it), PUBLISHED_RATE_MAX_CONCURRENT (4: PYTEST_MAX_CONCURRENT_REQUESTS),
# PUBLISHED_RATE_TIMEOUT (300: seconds per Maven call), PUBLISHED_RATE_KEEP (false: true keeps the logs,
# nginx configs, access logs and reports in the work directory), PUBLISHED_RATE_RETRY_AFTER (1: every 429 carries
# Retry-After of that many seconds, as many real APIs send it; none: without), PUBLISHED_RATE_WORKERS (4: forks
# and threads per fork), PUBLISHED_RATE_REUSE_FORKS (true; false: each class in a fresh fork started when the last
# ended, Surefire's reuseForks=false: the report must still count every request nginx saw),
# PUBLISHED_RATE_REFEREE_SCHEDULING (own-session: nginx runs in a session of its own, as a deployed API does,
# so Linux schedules it apart from the test JVMs (autogroup); realtime: the same at real-time priority (chrt -f,
# needs root or CAP_SYS_NICE), as if on a machine of its own; shared: in this script's session, beside the
# forks, whose load then delays nginx's clock by milliseconds and makes it refuse correctly spaced requests).
set -uo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${PUBLISHED_RATE_ROUNDS:-3}
ADAPTIVE=${PUBLISHED_RATE_ADAPTIVE:-true,false}
TIMEOUT=${PUBLISHED_RATE_TIMEOUT:-300}
KEEP=${PUBLISHED_RATE_KEEP:-false}
RETRY_AFTER=${PUBLISHED_RATE_RETRY_AFTER:-1}
REUSE_FORKS=${PUBLISHED_RATE_REUSE_FORKS:-true}
SCHEDULING=${PUBLISHED_RATE_REFEREE_SCHEDULING:-own-session}
RATE=20          # nginx's published rate, requests/s
DELAY=0.05       # 1 / RATE
WORKERS=${PUBLISHED_RATE_WORKERS:-4}
CAP=${PUBLISHED_RATE_MAX_CONCURRENT:-4}
REQUESTS=200     # 4 classes x 10 tests x 5 requests

bad=()
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || bad+=("PUBLISHED_RATE_ROUNDS='$ROUNDS': expected a whole number 1-99")
[[ "$ADAPTIVE" =~ ^(true|false)(,(true|false))*$ ]] || bad+=("PUBLISHED_RATE_ADAPTIVE='$ADAPTIVE': expected true, false, true,false or false,true")
[[ "$CAP" =~ ^[1-9][0-9]{0,2}$ ]] || bad+=("PUBLISHED_RATE_MAX_CONCURRENT='$CAP': expected a whole number 1-999")
[[ "$TIMEOUT" =~ ^[1-9][0-9]{1,3}$ ]] || bad+=("PUBLISHED_RATE_TIMEOUT='$TIMEOUT': expected seconds, 10-9999")
[[ "$REUSE_FORKS" =~ ^(true|false)$ ]] || bad+=("PUBLISHED_RATE_REUSE_FORKS='$REUSE_FORKS': expected true or false")
[[ "$WORKERS" =~ ^[1-8]$ ]] || bad+=("PUBLISHED_RATE_WORKERS='$WORKERS': expected 1-8")
[[ "$KEEP" =~ ^(true|false)$ ]] || bad+=("PUBLISHED_RATE_KEEP='$KEEP': expected true or false")
[[ "$RETRY_AFTER" =~ ^(none|[1-9][0-9]{0,2})$ ]] || bad+=("PUBLISHED_RATE_RETRY_AFTER='$RETRY_AFTER': expected none or whole seconds, 1-999")
[[ "$SCHEDULING" =~ ^(own-session|realtime|shared)$ ]] \
  || bad+=("PUBLISHED_RATE_REFEREE_SCHEDULING='$SCHEDULING': expected own-session, realtime (needs root or CAP_SYS_NICE) or shared")
PLACE=() # what runs nginx: setsid (its own session), then chrt (real-time)
if [ "$SCHEDULING" != shared ]; then
  if found=$(command -v setsid); then PLACE+=("$found"); else
    bad+=("setsid (util-linux) is not installed: it runs nginx in its own session; PUBLISHED_RATE_REFEREE_SCHEDULING=shared runs without")
  fi
fi
if [ "$SCHEDULING" = realtime ]; then
  if found=$(command -v chrt); then PLACE+=("$found" -f 50); else
    bad+=("chrt (util-linux) is not installed: PUBLISHED_RATE_REFEREE_SCHEDULING=realtime needs it")
  fi
fi
NGINX=$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx) || bad+=("nginx is not installed: apt-get install -y nginx-light")
ls examples/target/classes/io/ratelimit/examples/demoapi/DemoApi.class >/dev/null 2>&1 \
  || bad+=("examples/target/classes has no DemoApi: run mvn -B -q install -DskipTests first")
if [ ${#bad[@]} -gt 0 ]; then
  printf 'published-rate-suite: %s\n' "${bad[@]}" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/published-rate.XXXXXX)
BACKEND_PID=
NGINX_PID=
stop_nginx() {
  if [ -n "$NGINX_PID" ]; then
    kill "$NGINX_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=
  fi
}
cleanup() {
  stop_nginx
  if [ -n "$BACKEND_PID" ]; then
    kill "$BACKEND_PID" 2>/dev/null
    wait "$BACKEND_PID" 2>/dev/null
  fi
  if [ "$KEEP" = true ]; then echo "published-rate-suite: logs, configs and reports kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits (at most $2 tenths of a second) until 127.0.0.1:$1 accepts connections.
await_port() {
  for _ in $(seq "$2"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# The backend: the examples' demo API in its own JVM, with a quota that never binds (1000/s, 64 in flight):
# nginx is the API's limiter. It also ends when this script does (its fourth argument is a pid to watch).
timeout -k 10 300 mvn -B -q -pl examples dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile="$WORK/classpath.txt" > "$WORK/classpath.log" 2>&1 \
  || { echo "published-rate-suite: could not resolve the examples' class path, see:" >&2; cat "$WORK/classpath.log" >&2; exit 1; }
BACKEND_PORT=$(free_port)
java -Xmx128m -cp "examples/target/classes:$(cat "$WORK/classpath.txt")" io.ratelimit.examples.demoapi.DemoApi \
  "$BACKEND_PORT" 1000 64 $$ > "$WORK/backend.log" 2>&1 &
BACKEND_PID=$!
await_port "$BACKEND_PORT" 300 || { echo "published-rate-suite: the demo API did not listen within 30 s:" >&2; cat "$WORK/backend.log" >&2; exit 1; }

RETRY_HEADER=$([ "$RETRY_AFTER" = none ] && echo "" || echo "$RETRY_AFTER") # empty: nginx sends no header

# Starts nginx in the foreground on a free loopback port: limit_req rate=RATE r/s, no burst, 429.
start_nginx() {
  local dir=$1
  mkdir -p "$dir"
  NGINX_PORT=$(free_port)
  cat > "$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  log_format referee '\$msec \$status \$request_method \$uri \$request_time';
  access_log $dir/access.log referee;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  # every fork sends from 127.0.0.1: one key, the API's whole quota
  limit_req_zone \$binary_remote_addr zone=published:1m rate=${RATE}r/s;
  limit_req_status 429;
  map \$status \$retry_after { 429 "$RETRY_HEADER"; default ""; }
  keepalive_timeout 300s;
  keepalive_requests 100000;
  upstream api { server 127.0.0.1:$BACKEND_PORT; keepalive 16; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      limit_req zone=published;
      add_header Retry-After \$retry_after always;
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  # a background job of this script is no process group leader: setsid makes the session without forking, and
  # chrt execs too, so $! stays nginx's pid
  "${PLACE[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" > "$dir/nginx.out" 2>&1 &
  NGINX_PID=$!
  await_port "$NGINX_PORT" 150 || { echo "published-rate-suite: nginx did not listen within 15 s:" >&2; cat "$dir/nginx.out" "$dir/error.log" >&2; exit 1; }
}

backend_received() {
  curl -s --max-time 5 "http://127.0.0.1:$BACKEND_PORT/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["received"], d["rejected"])'
}

echo "Published-rate suite: 40 tests x 5 requests = $REQUESTS requests, nginx limit_req ${RATE}r/s (no burst),"
echo "PYTEST_WORKERS=$WORKERS, PYTEST_RATE_LIMIT_DELAY=$DELAY, PYTEST_MAX_CONCURRENT_REQUESTS=$CAP; quota bound $REQUESTS / $RATE = $((REQUESTS / RATE)) s;"
echo "Retry-After on each 429: $RETRY_AFTER; nginx scheduled: $SCHEDULING (PUBLISHED_RATE_REFEREE_SCHEDULING)."
IFS=, read -r -a order <<< "$ADAPTIVE"
for round in $(seq "$ROUNDS"); do
  runs=("${order[@]}")
  if [ $((round % 2)) -eq 0 ]; then  # alternate the order: a busy machine does not favour one setting
    runs=(); for ((i = ${#order[@]} - 1; i >= 0; i--)); do runs+=("${order[$i]}"); done
  fi
  echo
  echo "Round $round of $ROUNDS"
  echo
  echo "| adaptive | tests passed | suite wall s (report) | mvn wall s | requests | attempts | 429 share (report) | attempts at nginx | 429 share (nginx) | span at nginx s | backend served | peak delay ms | learned delay ms | mode | speed-up | wall / bound |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
  for adaptive in "${runs[@]}"; do
    run="$WORK/round$round-adaptive-$adaptive"
    start_nginx "$run"
    read -r served_before _ <<< "$(backend_received)"
    rm -rf examples/target/ratelimit-report
    rm -f examples/target/surefire-reports/TEST-io.ratelimit.examples.PublishedRate*.xml
    started=$(date +%s.%N)
    env PYTEST_WORKERS=$WORKERS PYTEST_RATE_LIMIT_DELAY=$DELAY PYTEST_MAX_CONCURRENT_REQUESTS=$CAP \
        PYTEST_ADAPTIVE_DELAY=$adaptive DEMO_API_URL="http://127.0.0.1:$NGINX_PORT" \
      timeout -k 15 "$TIMEOUT" mvn -B -q -pl examples verify -Dexamples.excludedGroups=none -Dgroups=published-rate -Dexamples.reuseForks=$REUSE_FORKS \
        -Dmaven.test.failure.ignore=true > "$run/mvn.log" 2>&1
    rc=$?
    ended=$(date +%s.%N)
    stop_nginx
    read -r served_after rejected_after <<< "$(backend_received)"
    cp -r examples/target/ratelimit-report "$run/" 2>/dev/null
    cp examples/target/surefire-reports/TEST-io.ratelimit.examples.PublishedRate*.xml "$run/" 2>/dev/null
    python3 - "$run" "$adaptive" "$rc" "$started" "$ended" "$((served_after - served_before))" "$rejected_after" "$REQUESTS" "$RATE" <<'PY'
import glob, json, os, sys, xml.etree.ElementTree as ET
from datetime import datetime, timezone
run, adaptive, rc, started, ended, served, backend_rejected, requests, rate = sys.argv[1:]
mvn_wall = float(ended) - float(started)
# the referee: every request nginx saw, one line each ("msec status method uri request_time": it arrived at msec - request_time)
lines = [l.split() for l in open(os.path.join(run, "access.log")) if l.strip()]
nginx_attempts = len(lines)
nginx_429 = sum(1 for l in lines if l[1] == "429")
span = f"{float(lines[-1][0]) - float(lines[0][0]):.1f}" if lines else "-"
tests = failed = 0
for f in glob.glob(os.path.join(run, "TEST-*.xml")):
    suite = ET.parse(f).getroot()
    tests += int(suite.get("tests", 0))
    failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
note = "" if rc == "0" else f" (mvn exit {rc}{', timed out' if rc in ('124', '137') else ''})"
report = os.path.join(run, "ratelimit-report", "ratelimit-report.json")
share = lambda part, whole: f"{100.0 * part / whole:.1f}%" if whole else "-"
if os.path.exists(report):
    r = json.load(open(report))
    t, s, m = r["totals"], r["suite"], r["mode"]
    wall = s["wallMs"] / 1000
    bound = t["requests"] / float(rate) if t["requests"] else float(requests) / float(rate)
    # the effective delay between starts (PYTEST_ADAPTIVE_DELAY widens it), as the timeline sampled it
    delays = [p["delayMs"] for samples in r.get("timeline", {}).values() for p in samples if p.get("delayMs", -1) >= 0]
    peak = f"{max(delays):.0f}" if delays else "-"
    learned = ", ".join(f"{l['neededMs']:.1f}" for l in r.get("learnedDelays", {}).values()) or "-"
    mode = "sequential" if m.get("sequential") else "parallel"
    if m.get("sequential") and m.get("switchedAt"):
        # when, counted from the first attempt nginx saw
        when, _, frac = m["switchedAt"].rstrip("Z").partition(".")
        at = datetime.strptime(when, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp() + float("0." + (frac or "0"))
        since = f"{at - float(lines[0][0]):+.1f} s after the first attempt" if lines else m["switchedAt"]
        mode += f" ({since}: {m.get('reason', '')})"
    print(f"| {adaptive} | {tests - failed}/{tests}{note} | {wall:.1f} | {mvn_wall:.1f} | {t['requests']} | {t['attempts']} | "
          f"{share(t['rateLimited'], t['attempts'])} | {nginx_attempts} | {share(nginx_429, nginx_attempts)} | {span} | {served} | {peak} | {learned} | {mode} | "
          f"{s['speedup']:.2f}x | {wall / bound:.2f} |")
else:
    print(f"| {adaptive} | {tests - failed}/{tests}{note} | no report | {mvn_wall:.1f} | - | - | - | {nginx_attempts} | "
          f"{share(nginx_429, nginx_attempts)} | {span} | {served} | - | - | - | - | - |")
if backend_rejected != "0":
    print(f"(the demo API behind nginx refused {backend_rejected} requests itself: its quota should never bind)")
PY
    if [ "$rc" != 0 ]; then echo "(Maven's log: $run/mvn.log; kept with PUBLISHED_RATE_KEEP=true)"; fi
  done
done
