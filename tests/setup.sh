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

# systemd-analyze checks the server packaging's unit (packaging/verity.service).
if ! command -v systemd-analyze >/dev/null; then
    echo "packaging: installing Debian's systemd (for systemd-analyze)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq systemd >/dev/null
fi

# A Python tool in a venv of its own, reinstalled when its requirements change.
venv_tool() {
    local dir="$1" name="$2" bin="$3"
    if [ -x "$dir/.venv/bin/$bin" ] && [ "$(cat "$dir/.venv/.verity-setup-stamp" 2>/dev/null)" = "$(sha256sum < "$dir/requirements.txt")" ]; then
        echo "$name: up to date"
    else
        python3 -m venv "$dir/.venv"
        "$dir/.venv/bin/pip" install -q --disable-pip-version-check -r "$dir/requirements.txt"
        sha256sum < "$dir/requirements.txt" > "$dir/.venv/.verity-setup-stamp"
        echo "$name: installed"
    fi
}
venv_tool "$root/s3" moto moto_server
venv_tool "$root/schemathesis" schemathesis schemathesis
# A real SMTP server for the e-mail tests (messages land in a Maildir the tests read).
venv_tool "$root/smtp" aiosmtpd aiosmtpd

browser="$root/browser"
stamp="$browser/node_modules/.verity-setup-stamp"
want="$(cat "$browser/package.json" "$browser/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "browser: node packages up to date"
else
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
fi
