#!/usr/bin/env bash
# Flat at scale (issue #17): the reads that must not slow down as the data grows, on an
# "empty" database (50 sessions, 30 of them in review: the queue's first page is as full as on a
# large one) and on a full one (1,000,000 sessions, 300,000 users, their events and webhook
# deliveries by default), each p95 against the empty database's.
#
#   bash bench/scale/run.sh [--sessions 1000000] [--users 300000] [--review 1000] [--n 200]
#                           [--max-ratio 2] [--keep] [--reuse DIR]
#
# For each database: `verity migrate`, a sandbox client with hooks on the session events (so the
# fill queues a delivery per event; they are then marked delivered, as a live system's would be),
# a files retention policy (so the retention scan has work to look at), `verity fill`, a reviewer;
# then `verity probe` times the fraud-fingerprint lookup and the retention scan, and
# bench/scale/measure.py times, through `verity serve`, a session view, a user's sessions, one
# day of events and the console's review queue (GET /healthz as the baseline). Prints the disk
# used per session and the server's memory, then compares the two runs and exits 1 when a p95 is
# above --max-ratio times the empty database's.
#
# SQLite by default (in a temporary folder); PostgreSQL when VERITY_BENCH_DATABASE_URL names an
# administrative connection (postgres://postgres@127.0.0.1:5432/postgres). Needs python3, curl;
# psql for PostgreSQL. A 1,000,000-session fill takes about 15 minutes on SQLite here: --keep keeps
# the databases, and --reuse DIR (the folder --keep printed) measures them again without filling.
set -euo pipefail
cd "$(dirname "$0")/../.."

sessions=1000000
users=300000
review=1000
n=200
max_ratio=2
keep=""
reuse=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sessions) sessions="$2"; shift 2 ;;
        --users) users="$2"; shift 2 ;;
        --review) review="$2"; shift 2 ;;
        --n) n="$2"; shift 2 ;;
        --max-ratio) max_ratio="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --reuse) reuse="$(realpath "$2")"; keep=1; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg_admin="${VERITY_BENCH_DATABASE_URL:-}"
export PGOPTIONS="${PGOPTIONS:-} --client-min-messages=warning"

cargo build --release -q -p verity --bin verity
bin="$PWD/target/release/verity"
work="${reuse:-$(mktemp -d)}"
server_pid=""
databases=()
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    for db in "${databases[@]}"; do psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
    if [ -n "$keep" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
[ -f "$work/password" ] || printf '%s\n' "bench-scale-password-$RANDOM$RANDOM" > "$work/password"

start_server() {
    "$bin" serve > "$1/serve.out" 2> "$1/serve.err" &
    server_pid=$!
    for _ in $(seq 1 300); do grep -q "listening on" "$1/serve.out" 2>/dev/null && break; sleep 0.1; done
    base="$(sed -n 's/^Verity listening on //p' "$1/serve.out" | head -1)"
    [ -n "$base" ] || { echo "error: the server did not start:" >&2; cat "$1/serve.err" >&2; exit 1; }
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
sql() { # statement on the bench database
    if [ -n "$pg_admin" ]; then psql -qtAX "$VERITY_DATABASE_URL" -c "$1"
    else python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()" "$dir/verity.db" "$1"; fi
}

measure() {
    local label="$1" count="$2" people="$3" in_review="$4"
    dir="$work/$label"
    mkdir -p "$dir"
    export VERITY_DATA_DIR="$dir" VERITY_LISTEN=127.0.0.1:0 RUST_LOG=warn VERITY_RATE_LIMITS="1h=1000000000"
    local db="verity_scale_bench_$$_$label"
    if [ -n "$reuse" ] && [ -f "$dir/samples.json" ]; then
        db="$(cat "$dir/database" 2>/dev/null || echo "$db")"
        [ -n "$pg_admin" ] && export VERITY_DATABASE_URL="${pg_admin%/*}/$db" || export VERITY_DATABASE_URL="sqlite://$dir/verity.db"
        echo "== $label: measuring again ($(echo "$VERITY_DATABASE_URL" | sed 's|//[^@/]*@|//|'))"
        "$bin" migrate > /dev/null
        if [ -n "$pg_admin" ]; then psql -q "$VERITY_DATABASE_URL" -c "VACUUM ANALYZE"; fi
        key="$("$bin" clients rotate-key sandbox --json 2>/dev/null | python3 -c 'import sys,json; print(json.load(sys.stdin)["ApiKey"])')"
        measure_run "$label" "$count"
        return
    fi
    if [ -n "$pg_admin" ]; then
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        [ -n "$keep" ] || databases+=("$db")
        echo "$db" > "$dir/database"
        export VERITY_DATABASE_URL="${pg_admin%/*}/$db"
    else
        export VERITY_DATABASE_URL="sqlite://$dir/verity.db"
    fi
    echo "== $label: $count sessions, $people users, $in_review in review ($(echo "$VERITY_DATABASE_URL" | sed 's|//[^@/]*@|//|'))"
    "$bin" migrate > /dev/null
    key="$("$bin" clients create --name Bench --id sandbox --json 2>/dev/null | python3 -c 'import sys,json; print(json.load(sys.stdin)["ApiKey"])')"
    "$bin" clients set-policy sandbox --retention-files-days 1 > /dev/null 2>&1
    start_server "$dir"
    local token
    token="$(curl -sf -u "sandbox:$key" -X POST "$base/v2.01/oauth/token" -d grant_type=client_credentials | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')"
    for event in IDENTITY_VERIFICATION_PENDING IDENTITY_VERIFICATION_VALIDATED IDENTITY_VERIFICATION_FAILED; do
        curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
            -X POST "$base/v2.01/sandbox/hooks" -d "{\"EventType\":\"$event\",\"Url\":\"https://hooks.example.com/verity\"}"
    done
    stop_server
    "$bin" fill --sessions "$count" --users "$people" --review "$in_review" > "$dir/fill.out"
    grep -E '^(wrote|took)' "$dir/fill.out" | sed 's/^/  fill: /'
    sql "UPDATE webhook_deliveries SET state = 'delivered', attempts = 1"
    # After a bulk load, PostgreSQL's autovacuum sets the visibility map and gathers statistics
    # some time later; the benchmark does it at once instead of measuring the planner without
    # statistics and index-only scans that must visit the table. The checkpoint that writes the
    # load out runs now too, not during the measurement (it slowed even GET /healthz 2x).
    if [ -n "$pg_admin" ]; then
        psql -q "$VERITY_DATABASE_URL" -c "VACUUM ANALYZE"
        psql -q "$VERITY_DATABASE_URL" -c "CHECKPOINT" 2>/dev/null \
            || echo "  (no CHECKPOINT: not a superuser; the first cases may meet the load's checkpoint)"
    fi
    "$bin" staff add --username bench --name Bench --role reviewer < "$work/password" > /dev/null
    python3 bench/scale/measure.py samples --database-url "$VERITY_DATABASE_URL" --n "$n" --out "$dir/samples.json"
    measure_run "$label" "$count"
}

# Times one filled database: the store probe, then the HTTP cases through a fresh server.
measure_run() {
    local label="$1" count="$2"
    "$bin" probe --n "$n" --samples "$dir/samples.json" 2>/dev/null > "$dir/probe.json"
    start_server "$dir"
    python3 bench/scale/measure.py run --base "$base" --client sandbox --key "$key" --samples "$dir/samples.json" \
        --username bench --password-file "$work/password" --probe "$dir/probe.json" --n "$n" --label "$label" \
        --out "$work/$label.json"
    local hwm size bytes db
    db="$(cat "$dir/database" 2>/dev/null || true)"
    hwm="$(awk '/^VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server_pid/status")"
    if [ -n "$pg_admin" ]; then
        bytes="$(psql -qtA "$pg_admin" -c "SELECT pg_database_size('$db')")"
    else
        bytes="$(du -cb "$dir"/verity.db* | awk 'END {print $1}')"
    fi
    size="$(python3 -c "b=$bytes; s=max(1,$count); print(f'{b/1048576:.1f} MiB, {b/s/1024:.2f} KiB per session (with its user share, events, deliveries, indexes)')")"
    echo "  database: $size; server peak RSS (VmHWM): $hwm"
    stop_server
    echo
}

key=""
dir=""
if [ "$sessions" -ge 1000 ]; then full="$((sessions / 1000))k"; else full="$sessions"; fi
measure empty 50 25 30
measure "$full" "$sessions" "$users" "$review"
python3 bench/scale/measure.py compare "$work/empty.json" "$work/$full.json" --max-ratio "$max_ratio"
