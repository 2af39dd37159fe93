#!/usr/bin/env bash
# Scale-out throughput (issue #18): 1, 2 and 3 `verity serve` processes on one PostgreSQL, the
# load spread evenly over them (one wrk per process, started together), session creates then
# session views; totals against one process. Each run starts on a fresh database.
#
#   bash bench/scale_out.sh [--duration 10s] [--connections 16] [--processes "1 2 3"]
#
# On this project's 2-core machine the load generators, the servers and PostgreSQL share the
# same cores, so more processes cannot add CPU: the figures show what running several costs
# (coordination through the database) rather than what more machines would bring.
# Needs wrk, python3, curl, psql; PostgreSQL at $BENCH_PG_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10s
connections=16
counts="1 2 3"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --processes) counts="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export PGOPTIONS="${PGOPTIONS:-} --client-min-messages=warning"
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p verity --bin verity
bin="$PWD/target/release/verity"
work="$(mktemp -d)"
pids=()
name=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "$name" ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# Total requests/s of wrk runs started together, one per base URL: "rps p99(max of runs)".
together() {
    local script="$1" path="$2"; shift 2
    local i=0 out
    # A folder of its own: this runs in a process substitution, which may still be finishing when
    # the next run starts.
    out="$(mktemp -d "$work/wrk.XXXXXX")"
    for base in "$@"; do
        wrk --latency -t1 -c"$connections" -d"$duration" -s "$script" "$base$path" > "$out/$i" &
        i=$((i + 1))
    done
    wait  # this function runs in a subshell: its jobs are the wrk runs only
    cat "$out"/* | awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /Requests\/sec/ { rps += $2 } $1=="99%" { p = ms($2); if (p > p99) p99 = p } /Non-2xx/ { bad += $NF }
        END { printf "%.0f %.2f %d\n", rps, p99, bad }'
}

printf "%-10s %-16s %10s %9s %8s %10s\n" processes endpoint "req/s" "p99 ms" non-2xx "vs 1 proc"
declare -A single
for n in $counts; do
    name="verity_scaleout_$$_$n"
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    export VERITY_DATABASE_URL="${pg_admin%/*}/$name" VERITY_DATA_DIR="$work/data" VERITY_LISTEN=127.0.0.1:0 \
        VERITY_RATE_LIMITS="1h=1000000000" RUST_LOG=warn
    mkdir -p "$work/data"
    "$bin" migrate > /dev/null
    key="$("$bin" clients create --name bench --id bench --json 2>/dev/null | python3 -c 'import sys,json; print(json.load(sys.stdin)["ApiKey"])')"
    bases=()
    for i in $(seq 1 "$n"); do
        "$bin" serve > "$work/serve.$i" 2> "$work/err.$i" &
        pids+=($!)
        for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.$i" 2>/dev/null && break; sleep 0.1; done
        bases+=("$(sed -n 's/^Verity listening on //p' "$work/serve.$i")")
    done
    export TOKEN
    TOKEN="$(curl -sf -u "bench:$key" -X POST "${bases[0]}/v2.01/oauth/token" -d grant_type=client_credentials | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')"
    user="$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST "${bases[0]}/v2.01/bench/users/natural" \
        -d '{"FirstName":"Alex","LastName":"Smith","Email":"alex@example.com","Birthday":188352000,"Nationality":"FR","CountryOfResidence":"FR","TermsAndConditionsAccepted":true,"UserCategory":"OWNER"}' \
        | python3 -c 'import sys,json; print(json.load(sys.stdin)["Id"])')"
    session="$(curl -sf -H "Authorization: Bearer $TOKEN" -X POST "${bases[0]}/v2.01/bench/users/$user/identity-verifications" -d '{"ReturnUrl":"https://example.com"}' \
        | python3 -c 'import sys,json; print(json.load(sys.stdin)["Id"])')"
    read -r c_rps c99 cbad < <(together bench/create_session.lua "/v2.01/bench/users/$user/identity-verifications" "${bases[@]}")
    read -r v_rps v99 vbad < <(together bench/get_with_token.lua "/v2.01/bench/identity-verifications/$session" "${bases[@]}")
    [ "$n" = 1 ] && single[create]=$c_rps single[view]=$v_rps
    ratio() { python3 -c "print(f'{$1/$2:.2f}' if '$2' else '-')"; }
    printf "%-10s %-16s %10s %9s %8s %10s\n" "$n" "create session" "$c_rps" "$c99" "$cbad" "$(ratio "$c_rps" "${single[create]:-$c_rps}")"
    printf "%-10s %-16s %10s %9s %8s %10s\n" "$n" "view session" "$v_rps" "$v99" "$vbad" "$(ratio "$v_rps" "${single[view]:-$v_rps}")"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name" >/dev/null
    name=""
    rm -rf "$work/data"
done
echo "(wrk: one per process, 1 thread and $connections connections each, $duration; 'vs 1 proc' = total req/s against one process)"
