#!/usr/bin/env bash
# Webhook delivery benchmark on SQLite and PostgreSQL: starts a fresh release server per backend
# and runs crates/verity/examples/webhook_throughput.rs against it (sessions created at a fixed
# rate, each one's PENDING webhook timed from its creation to its arrival).
#   bash bench/webhooks.sh [--rate 2000] [--seconds 10] [--backends "sqlite postgres"]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=2000; seconds=10; backends="sqlite postgres"
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) rate="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --backends) backends="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo build --release -q -p verity --bin verity --example webhook_throughput
# BENCH_BIN=path/to/verity measures that server binary instead (to compare two versions).
bin="$(realpath "${BENCH_BIN:-$PWD/target/release/verity}")"
driver="$PWD/target/release/examples/webhook_throughput"
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
    "$bin" migrate > /dev/null
    creds="$("$bin" clients create --name bench --id "wh-$backend" --json)"
    key="$(echo "$creds" | python3 -c 'import sys,json; print(json.load(sys.stdin)["ApiKey"])')"
    "$bin" serve > "$work/serve.out" 2> "$work/serve.err" &
    server_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
    base="$(sed -n 's/^Verity listening on //p' "$work/serve.out")"
    "$driver" --base "$base" --client "wh-$backend" --key "$key" --rate "$rate" --seconds "$seconds" --label "$(printf '%-9s' "$backend")"
    printf '%-9s server peak RSS %d MiB\n' "$backend" $(( $(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status") / 1024 ))
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    if [ "$backend" = postgres ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name"; fi
done
