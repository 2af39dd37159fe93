#!/usr/bin/env bash
# Webhook delivery benchmark on SQLite and PostgreSQL: starts a fresh release server per backend
# and runs bench/webhooks.py against it.
#   bash bench/webhooks.sh [--n 500] [--concurrency 8] [--backends "sqlite postgres"]
set -euo pipefail
cd "$(dirname "$0")/.."
n=500; concurrency=8; backends="sqlite postgres"
while [ $# -gt 0 ]; do
    case "$1" in
        --n) n="$2"; shift 2 ;;
        --concurrency) concurrency="$2"; shift 2 ;;
        --backends) backends="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo build --release -q -p verity
bin="$PWD/target/release/verity"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for backend in $backends; do
    case "$backend" in
        sqlite) db_url="sqlite://$work/sqlite/verity.db" ;;
        postgres) name="verity_whbench_$$"; psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"; db_url="${pg_admin%/*}/$name" ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    mkdir -p "$work/$backend"
    export VERITY_DATABASE_URL="$db_url" VERITY_DATA_DIR="$work/$backend" VERITY_LISTEN=127.0.0.1:0 \
        VERITY_RATE_LIMITS="1h=1000000000" RUST_LOG=warn
    creds="$("$bin" clients create --name bench --id "wh-$backend" --json)"
    key="$(echo "$creds" | python3 -c 'import sys,json; print(json.load(sys.stdin)["ApiKey"])')"
    "$bin" serve > "$work/serve.out" 2> "$work/serve.err" &
    server_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
    base="$(sed -n 's/^Verity listening on //p' "$work/serve.out")"
    python3 bench/webhooks.py --base "$base" --client "wh-$backend" --key "$key" --n "$n" --concurrency "$concurrency" --label "$(printf '%-9s' "$backend")"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    if [ "$backend" = postgres ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name"; fi
done
