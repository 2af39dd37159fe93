#!/usr/bin/env bash
# Console latency at scale (issue #16): "the queue, search and a session page answer under 100 ms
# at the 95th percentile with 100,000 sessions and 1,000 in review".
#
#   bash bench/console/run.sh [--sessions 100000] [--review 1000] [--n 200] [--limit-ms 100] [--keep]
#                             [--sql FILE]
#
# For an empty database (20 sessions, 10 in review) and then a full one, it runs `verity migrate`,
# `verity fill`, adds a reviewer (`verity staff add`), starts `verity serve`, signs in to the
# console and times N requests of each page on one keep-alive connection (bench/console/measure.py):
# the queue's first page and its page 10, searches by name, surname, company number and document
# number, session pages (a different session each time; viewing one claims it), and as the
# baseline a static file served through the same router and middleware. It prints p50/p95/p99,
# each p95 against the baseline's and the full database against the empty one, the database's
# size, the server's peak RSS, and exits 1 when a p95 of the full database is above the limit.
#
# SQLite by default (in a temporary folder); PostgreSQL when VERITY_BENCH_DATABASE_URL names an
# administrative connection (e.g. postgres://postgres@127.0.0.1:5432/postgres): a database is
# created for each run and dropped after it. Needs python3; psql for PostgreSQL.
#
# --sql FILE applies FILE to both databases after the fill (sqlite3 or psql), to try an index
# before writing its migration, e.g. --sql my_indexes.sql.
set -euo pipefail
cd "$(dirname "$0")/../.."

sessions=100000
review=1000
n=200
limit_ms=100
keep=""
sql=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sessions) sessions="$2"; shift 2 ;;
        --review) review="$2"; shift 2 ;;
        --n) n="$2"; shift 2 ;;
        --limit-ms) limit_ms="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --sql) sql="$(realpath "$2")"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg_admin="${VERITY_BENCH_DATABASE_URL:-}"
export PGOPTIONS="${PGOPTIONS:-} --client-min-messages=warning"

cargo build --release -q -p verity
bin="$PWD/target/release/verity"
work="$(mktemp -d)"
server_pid=""
databases=()
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    for db in "${databases[@]}"; do psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
    if [ -n "$keep" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

password="bench-console-password-$RANDOM$RANDOM"
printf '%s\n' "$password" > "$work/password"
sample() { sed -n "s/^  sample $1: //p" "$2" | head -1; }

# One measured run: label, sessions, review.
measure() {
    local label="$1" count="$2" in_review="$3" dir="$work/$1"
    mkdir -p "$dir"
    export VERITY_DATA_DIR="$dir" VERITY_LISTEN=127.0.0.1:0 RUST_LOG=warn
    if [ -n "$pg_admin" ]; then
        local db="verity_console_bench_$$_$label"
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        databases+=("$db")
        export VERITY_DATABASE_URL="${pg_admin%/*}/$db"
    else
        export VERITY_DATABASE_URL="sqlite://$dir/verity.db"
    fi
    echo "== $label: $count sessions, $in_review in review ($(echo "$VERITY_DATABASE_URL" | sed 's|//[^@/]*@|//|'))"
    "$bin" migrate > /dev/null
    "$bin" fill --sessions "$count" --review "$in_review" > "$dir/fill.out"
    grep -E '^(wrote|took)' "$dir/fill.out" | sed 's/^/  fill: /'
    # PostgreSQL's autovacuum gathers statistics some time after bulk writes; the benchmark
    # gathers them at once instead of measuring the planner without any.
    if [ -n "$pg_admin" ]; then psql -q "$VERITY_DATABASE_URL" -c "ANALYZE"; fi
    if [ -n "$sql" ]; then
        if [ -n "$pg_admin" ]; then psql -q -v ON_ERROR_STOP=1 "$VERITY_DATABASE_URL" -f "$sql"
        else sqlite3 -bail "$dir/verity.db" < "$sql"; fi
        echo "  applied $sql"
    fi
    "$bin" staff add --username bench --name Bench --role reviewer < "$work/password" > /dev/null

    "$bin" serve > "$dir/serve.out" 2> "$dir/serve.err" &
    server_pid=$!
    for _ in $(seq 1 300); do grep -q "listening on" "$dir/serve.out" 2>/dev/null && break; sleep 0.1; done
    local base
    base="$(sed -n 's/^Verity listening on //p' "$dir/serve.out" | head -1)"
    [ -n "$base" ] || { echo "error: the server did not start:" >&2; cat "$dir/serve.err" >&2; exit 1; }

    python3 bench/console/measure.py run --base "$base" --username bench --password-file "$work/password" \
        --name "$(sample name "$dir/fill.out")" --surname "$(sample surname "$dir/fill.out")" \
        --company "$(sample 'company number' "$dir/fill.out")" \
        --document "$(sample 'document number' "$dir/fill.out")" \
        --n "$n" --label "$label" --out "$work/$label.json"

    local hwm size
    hwm="$(awk '/^VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server_pid/status")"
    if [ -n "$pg_admin" ]; then
        size="$(psql -qtA "$pg_admin" -c "SELECT pg_size_pretty(pg_database_size('$db'))")"
    else
        size="$(du -cb "$dir"/verity.db* | awk 'END {printf "%.1f MiB", $1/1048576}')"
    fi
    echo "  database size: $size; server peak RSS (VmHWM): $hwm"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    echo
}

if [ "$sessions" -ge 1000 ]; then full="$((sessions / 1000))k"; else full="$sessions"; fi
measure empty 20 10
measure "$full" "$sessions" "$review"
python3 bench/console/measure.py compare "$work/empty.json" "$work/$full.json" --limit-ms "$limit_ms"
