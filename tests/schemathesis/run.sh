#!/usr/bin/env bash
# Schemathesis against a fresh Verity: the OpenAPI document served at /openapi.json must describe
# what the server does. Starts `verity serve` on a free loopback port with a throw-away data
# folder, creates real objects through the API (users, sessions, a hook, an idempotent response,
# a webhook delivery) so path parameters name real ids, then fuzzes every operation with a
# bounded number of cases (about half a minute on two cores). Fails on any server error, any
# response the document does not describe (status code, content type, body schema), and any
# operation that answers without its credentials.
#
# Usage, from anywhere: bash tests/schemathesis/run.sh [extra `schemathesis run` options]
#   VERITY_BIN                 server binary (default target/debug/verity; built when missing)
#   SCHEMATHESIS_MAX_EXAMPLES  cases per operation and phase (default 50)
#   SCHEMATHESIS_REPORT_DIR    where to copy the JUnit and JSON reports and the server log
# Needs python3 (with venv and pip) and access to PyPI on the first run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
started=$SECONDS

# --- Schemathesis, pinned, in a venv of its own
venv="$here/.venv"
stamp="$(sha256sum < "$here/requirements.txt")"
if [ -x "$venv/bin/schemathesis" ] && [ "$(cat "$venv/.verity-setup-stamp" 2>/dev/null)" = "$stamp" ]; then
    :
else
    echo "schemathesis: installing into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    echo "$stamp" > "$venv/.verity-setup-stamp"
fi
echo "schemathesis: $("$venv/bin/schemathesis" --version)"

# --- The server
bin="${VERITY_BIN:-target/debug/verity}"
if [ ! -x "$bin" ]; then
    [ -n "${VERITY_BIN:-}" ] && { echo "VERITY_BIN=$bin is not an executable" >&2; exit 1; }
    echo "verity: $bin missing, building it"
    cargo build -q -p verity
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

admin_token="admin-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
: > "$tmp/server.out"
: > "$tmp/server.log"
VERITY_DATA_DIR="$tmp/data" \
VERITY_LISTEN=127.0.0.1:0 \
VERITY_ADMIN_TOKEN="$admin_token" \
VERITY_RATE_LIMITS="15m=10000000" \
VERITY_LOG_FORMAT=text \
RUST_LOG="${RUST_LOG:-warn}" \
    "$bin" serve > "$tmp/server.out" 2> "$tmp/server.log" &
server_pid=$!

url=""
for _ in $(seq 1 300); do
    url="$(sed -n 's/^Verity listening on \(http:[^ ]*\)$/\1/p' "$tmp/server.out")"
    [ -n "$url" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "verity: the server exited before listening" >&2
        cat "$tmp/server.out" "$tmp/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "verity: no 'Verity listening on' line after 30 s" >&2
    cat "$tmp/server.out" "$tmp/server.log" >&2
    exit 1
fi
client_id="$(sed -n 's/^ClientId: *//p' "$tmp/server.out")"
api_key="$(sed -n 's/^ApiKey: *//p' "$tmp/server.out")"
if [ -z "$client_id" ] || [ -z "$api_key" ]; then
    echo "verity: no sandbox credentials printed on first start" >&2
    cat "$tmp/server.out" >&2
    exit 1
fi
echo "verity: $url (client $client_id)"

# --- Real objects, their ids exported for schemathesis.toml
"$venv/bin/python" "$here/fixtures.py" "$url" "$client_id" "$api_key" "$admin_token" > "$tmp/fixtures.env"
set -a
# shellcheck disable=SC1091
. "$tmp/fixtures.env"
set +a
export VERITY_CLIENT_ID="$client_id" VERITY_API_KEY="$api_key" VERITY_ADMIN_TOKEN="$admin_token"
export VERITY_SCHEMATHESIS_HOOKS="$here/hooks.py"
echo "fixtures: $(cut -d= -f1 "$tmp/fixtures.env" | grep -v TOKEN | tr '\n' ' ')"

# --- The run
# Run from the temporary folder: Hypothesis and Schemathesis write their caches in the working
# directory.
status=0
(cd "$tmp" && "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$url/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-50}" \
    --report junit,json --report-junit-path "$tmp/junit.xml" --report-json-path "$tmp/report.json" \
    "$@") || status=$?

# Whatever the client saw, the server must not have logged an error or a panic.
server_errors="$(grep -c 'ERROR\|panicked' "$tmp/server.log" || true)"
if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
    mkdir -p "$SCHEMATHESIS_REPORT_DIR"
    cp "$tmp/junit.xml" "$tmp/report.json" "$tmp/server.log" "$SCHEMATHESIS_REPORT_DIR/" 2>/dev/null || true
fi

echo
echo "== schemathesis summary"
summary=0
python3 "$here/summary.py" "$tmp/report.json" || summary=$?
echo "   server log lines with ERROR or a panic: $server_errors"
grep 'ERROR\|panicked' "$tmp/server.log" | head -20 | sed 's/^/     /' || true
echo "   total duration: $((SECONDS - started)) s"
if [ "$status" -ne 0 ] || [ "$summary" -ne 0 ] || [ "$server_errors" -ne 0 ]; then
    echo "FAILED (schemathesis exit status $status)"
    exit 1
fi
echo "PASSED"
