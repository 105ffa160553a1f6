#!/usr/bin/env bash
# Suite speed-up: the example suite with 1, 2 and 4 workers (PYTEST_WORKERS: Surefire forks, and JUnit threads
# per fork), parallel and sequential (PYTEST_DISABLE_PARALLEL=true), with the demo API's default quota
# (40 requests/s; the limiter's 0.03 s spacing, about 33/s, is what binds) and with a binding one (5 requests/s,
# spacing 0.2 s). Prints one Markdown row per run from the run's report. Needs `mvn -B -q install -DskipTests` first.
#   bash benchmarks/suite-speedup.sh
set -uo pipefail
cd "$(dirname "$0")/.."
echo "| quota | workers | mode | tests | requests | suite wall s | tests' own time s | report speed-up |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"
for quota in default binding; do
  for workers in 1 2 4; do
    for mode in parallel sequential; do
      env=(PYTEST_WORKERS=$workers)
      [ "$mode" = sequential ] && env+=(PYTEST_DISABLE_PARALLEL=true)
      [ "$quota" = binding ] && env+=(DEMO_API_RATE=5 PYTEST_RATE_LIMIT_DELAY=0.2)
      env "${env[@]}" mvn -B -q -pl examples verify -Dmaven.test.failure.ignore=true > /tmp/suite-speedup.log 2>&1
      python3 - "$quota" "$workers" "$mode" <<'PY'
import json, sys
r = json.load(open("examples/target/ratelimit-report/ratelimit-report.json"))
s = r["suite"]
print(f"| {sys.argv[1]} | {sys.argv[2]} | {sys.argv[3]} | {s['tests']} | {r['totals']['requests']} | {s['wallMs']/1000:.1f} | {s['testTimeMs']/1000:.1f} | {s['speedup']:.2f}x |")
PY
    done
  done
done
