#!/usr/bin/env bash
# Load benchmark: IDV session create and view throughput and latency, on SQLite and PostgreSQL,
# against a baseline in the same run: GET /healthz, a handler that does nothing, served by the same
# binary through the same router and middleware. Also reports the server's resident memory at idle
# and its peak under load.
#
#   bash bench/load.sh [--duration 10s] [--connections 16] [--backends "sqlite postgres"]
#
# Needs: wrk (apt-get install wrk), a PostgreSQL at $BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432/postgres) for the postgres backend.
# BENCH_BIN=path/to/verity measures that binary instead of building this tree's (to compare two
# versions in the same conditions).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s
connections=16
backends="sqlite postgres"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --backends) backends="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

if [ -n "${BENCH_BIN:-}" ]; then
    bin="$(realpath "$BENCH_BIN")"
else
    cargo build --release -q -p verity
    bin="$PWD/target/release/verity"
fi
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# wrk --latency output -> "rps p50 p90 p99" (latencies in ms)
run_wrk() {
    local out
    out="$(wrk --latency -t2 -c"$connections" -d"$duration" "$@")"
    echo "$out" >> "$work/wrk.log"
    echo "$out" | awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /Requests\/sec/ { rps=$2 }
        $1=="50%" { p50=ms($2) } $1=="90%" { p90=ms($2) } $1=="99%" { p99=ms($2) }
        /Non-2xx/ { bad=$NF }
        END { printf "%s %.2f %.2f %.2f %s\n", rps, p50, p90, p99, (bad==""?0:bad) }'
}

printf "%-9s %-22s %10s %8s %8s %8s %8s %9s\n" backend endpoint "req/s" "p50 ms" "p90 ms" "p99 ms" non-2xx "vs base"
for backend in $backends; do
    case "$backend" in
        sqlite) db_url="sqlite://$work/sqlite/verity.db"; mkdir -p "$work/sqlite" ;;
        postgres)
            name="verity_bench_$$"
            psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
            db_url="${pg_admin%/*}/$name" ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    export VERITY_DATABASE_URL="$db_url" VERITY_DATA_DIR="$work/$backend" VERITY_LISTEN=127.0.0.1:0 \
        VERITY_RATE_LIMITS="1h=1000000000" RUST_LOG=warn
    mkdir -p "$work/$backend"
    "$bin" migrate > /dev/null
    creds="$("$bin" clients create --name bench --id "bench-$backend" --json)"
    client="$(echo "$creds" | python3 -c 'import sys,json; print(json.load(sys.stdin)["ClientId"])')"
    key="$(echo "$creds" | python3 -c 'import sys,json; print(json.load(sys.stdin)["ApiKey"])')"
    "$bin" serve > "$work/serve.out" 2> "$work/serve.err" &
    server_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
    base="$(sed -n 's/^Verity listening on //p' "$work/serve.out")"
    [ -n "$base" ] || { cat "$work/serve.err" >&2; exit 1; }
    export TOKEN
    TOKEN="$(curl -sf -u "$client:$key" -X POST "$base/v2.01/oauth/token" -d grant_type=client_credentials | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')"
    user="$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST "$base/v2.01/$client/users/natural" \
        -d '{"FirstName":"Alex","LastName":"Smith","Email":"alex@example.com","Birthday":188352000,"Nationality":"FR","CountryOfResidence":"FR","TermsAndConditionsAccepted":true,"UserCategory":"OWNER"}' \
        | python3 -c 'import sys,json; print(json.load(sys.stdin)["Id"])')"
    session="$(curl -sf -H "Authorization: Bearer $TOKEN" -X POST "$base/v2.01/$client/users/$user/identity-verifications" -d '{"ReturnUrl":"https://example.com"}' \
        | python3 -c 'import sys,json; print(json.load(sys.stdin)["Id"])')"
    idle=$(rss_kb "$server_pid")

    read -r b_rps b50 b90 b99 bbad < <(run_wrk "$base/healthz")
    read -r c_rps c50 c90 c99 cbad < <(run_wrk -s bench/create_session.lua "$base/v2.01/$client/users/$user/identity-verifications")
    # PostgreSQL's autovacuum analyses a table once a tenth of it has changed; on a server where
    # it is off (this project's machines), the creates leave tables planned as if empty (a view
    # was 5 times slower). Do what autovacuum would.
    if [ "$backend" = postgres ]; then psql -q "$db_url" -c "ANALYZE"; fi
    read -r v_rps v50 v90 v99 vbad < <(run_wrk -s bench/get_with_token.lua "$base/v2.01/$client/identity-verifications/$session")
    peak=$(hwm_kb "$server_pid")
    ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
    printf "%-9s %-22s %10s %8s %8s %8s %8s %9s\n" "$backend" "baseline GET /healthz" "$b_rps" "$b50" "$b90" "$b99" "$bbad" "1.000"
    printf "%-9s %-22s %10s %8s %8s %8s %8s %9s\n" "$backend" "create session (POST)" "$c_rps" "$c50" "$c90" "$c99" "$cbad" "$(ratio "$c_rps" "$b_rps")"
    printf "%-9s %-22s %10s %8s %8s %8s %8s %9s\n" "$backend" "view session (GET)" "$v_rps" "$v50" "$v90" "$v99" "$vbad" "$(ratio "$v_rps" "$b_rps")"
    printf "%-9s memory: idle %d MiB, peak under load %d MiB\n" "$backend" $((idle / 1024)) $((peak / 1024))
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    [ "$backend" = postgres ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name"
done
echo "(wrk: 2 threads, $connections connections, $duration per endpoint; 'vs base' = req/s relative to the baseline of the same backend run)"
