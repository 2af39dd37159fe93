#!/usr/bin/env bash
# Every performance figure of issue #17 in one run, on SQLite and PostgreSQL, each as a ratio
# against a baseline measured in the same run:
#
#   1. API throughput and latency (bench/load.sh): create and view against GET /healthz through
#      the same router and middleware; server memory at idle and at peak.
#   2. Webhooks (bench/webhooks.sh): deliveries per second with sessions created at a fixed
#      rate, creation-to-delivery latency, against the receiver's own rate.
#   3. The engine (bench/engine.sh): natural sessions decided per second and per CPU-second.
#   4. Flat at scale (bench/scale/run.sh): view, a user's sessions, events by date, the review
#      queue, the fraud-fingerprint lookup and the retention scan on an empty database and on a
#      full one (1,000,000 sessions and 300,000 users unless --quick), disk per session.
#
#   bash bench/run.sh [--quick] [--backends "sqlite postgres"]
#
# --quick: 5 s per load case, 5 s of webhooks, 10 engine sessions, 100,000 sessions at scale.
# Needs wrk (apt-get install wrk), python3, curl, psql; PostgreSQL at $BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432/postgres). The full run takes about an hour here.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
backends="sqlite postgres"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --backends) backends="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [ -n "$quick" ]; then
    duration=5s seconds=5 engine=10 sessions=100000 users=30000
else
    duration=10s seconds=10 engine=20 sessions=1000000 users=300000
fi
status=0
echo "### 1. API throughput (bench/load.sh)"
BENCH_PG_URL="$pg" bash bench/load.sh --duration "$duration" --backends "$backends" || status=1
echo
echo "### 2. Webhooks at 2,000 changes per second (bench/webhooks.sh)"
BENCH_PG_URL="$pg" bash bench/webhooks.sh --rate 2000 --seconds "$seconds" --backends "$backends" || status=1
echo
echo "### 3. The engine (bench/engine.sh)"
bash bench/engine.sh --sessions "$engine" --backends "$backends" || status=1
echo
for backend in $backends; do
    echo "### 4. Flat at scale on $backend (bench/scale/run.sh)"
    if [ "$backend" = postgres ]; then
        VERITY_BENCH_DATABASE_URL="$pg" bash bench/scale/run.sh --sessions "$sessions" --users "$users" || status=1
    else
        bash bench/scale/run.sh --sessions "$sessions" --users "$users" || status=1
    fi
    echo
done
exit "$status"
