#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: the official SDKs (npm, PyPI),
# the browser-test packages (npm) and Debian's Chromium. Safe to re-run; fast when done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bash "$root/sdk/setup.sh"

if [ ! -x /usr/bin/chromium ]; then
    echo "browser: installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing')"

s3="$root/s3"
if [ -x "$s3/.venv/bin/moto_server" ] && [ "$(cat "$s3/.venv/.verity-setup-stamp" 2>/dev/null)" = "$(sha256sum < "$s3/requirements.txt")" ]; then
    echo "s3: moto up to date"
else
    python3 -m venv "$s3/.venv"
    "$s3/.venv/bin/pip" install -q --disable-pip-version-check -r "$s3/requirements.txt"
    sha256sum < "$s3/requirements.txt" > "$s3/.venv/.verity-setup-stamp"
    echo "s3: moto installed"
fi

schemathesis="$root/schemathesis"
if [ -x "$schemathesis/.venv/bin/schemathesis" ] && [ "$(cat "$schemathesis/.venv/.verity-setup-stamp" 2>/dev/null)" = "$(sha256sum < "$schemathesis/requirements.txt")" ]; then
    echo "schemathesis: up to date"
else
    python3 -m venv "$schemathesis/.venv"
    "$schemathesis/.venv/bin/pip" install -q --disable-pip-version-check -r "$schemathesis/requirements.txt"
    sha256sum < "$schemathesis/requirements.txt" > "$schemathesis/.venv/.verity-setup-stamp"
    echo "schemathesis: installed"
fi

browser="$root/browser"
stamp="$browser/node_modules/.verity-setup-stamp"
want="$(cat "$browser/package.json" "$browser/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "browser: node packages up to date"
else
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
fi
