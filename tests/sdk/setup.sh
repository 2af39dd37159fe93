#!/usr/bin/env bash
# Installs the official SDKs used by the conformance harness:
#   tests/sdk/node/node_modules      npm ci (mangopay4-nodejs-sdk, mangopay2-nodejs-sdk, mocha, chai)
#   tests/sdk/python/.venv4          mangopay4-python-sdk (requirements.txt)
#   tests/sdk/python/.venv3          mangopaysdk, the older PyPI name (requirements-legacy.txt)
# Both Python distributions install the same `mangopay` module, hence two virtualenvs.
#
# Idempotent: each part is skipped when its lock/requirements file has not changed since
# the last successful install (a hash is kept next to the installed files).
#   bash tests/sdk/setup.sh [--force] [--node-only|--python-only]
# Environment: PYTHON (default python3), NPM (default npm).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
npm="${NPM:-npm}"
force=0
do_node=1
do_python=1
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        --node-only) do_python=0 ;;
        --python-only) do_node=0 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

hash_of() { cat "$@" | sha256sum | cut -d" " -f1; }

up_to_date() { # stamp-file expected-hash
    [ "$force" -eq 0 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

setup_node() {
    local dir="$root/node" stamp want
    stamp="$dir/node_modules/.verity-setup-stamp"
    want="$(hash_of "$dir/package.json" "$dir/package-lock.json")"
    if up_to_date "$stamp" "$want" \
        && [ -f "$dir/node_modules/mangopay4-nodejs-sdk/package.json" ] \
        && [ -f "$dir/node_modules/mangopay2-nodejs-sdk/package.json" ] \
        && [ -x "$dir/node_modules/.bin/mocha" ]; then
        echo "node: up to date ($dir/node_modules)"
        return
    fi
    echo "node: npm ci in $dir"
    (cd "$dir" && "$npm" ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
    echo "node: installed $(cd "$dir" && node -p "['mangopay4-nodejs-sdk','mangopay2-nodejs-sdk'].map(p => p + '@' + require(p + '/package.json').version).join(' ')")"
}

setup_venv() { # venv-name requirements-file distribution-name
    local dir="$root/python" venv req dist stamp want
    venv="$dir/$1"
    req="$dir/$2"
    dist="$3"
    stamp="$venv/.verity-setup-stamp"
    want="$(hash_of "$req")"
    if up_to_date "$stamp" "$want" && "$venv/bin/python" -c 'import mangopay' >/dev/null 2>&1; then
        echo "python: up to date ($venv)"
        return
    fi
    if [ ! -x "$venv/bin/python" ]; then
        echo "python: creating $venv"
        "$python" -m venv "$venv"
    fi
    echo "python: pip install -r $(basename "$req") into $1"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    "$venv/bin/python" -c 'import mangopay' || { echo "python: $1 cannot import mangopay" >&2; exit 1; }
    echo "$want" > "$stamp"
    echo "python: $1 has $dist $("$venv/bin/python" -c "from importlib.metadata import version; print(version('$dist'))")"
}

if [ "$do_node" -eq 1 ]; then
    setup_node
fi
if [ "$do_python" -eq 1 ]; then
    setup_venv .venv4 requirements.txt mangopay4-python-sdk
    setup_venv .venv3 requirements-legacy.txt mangopaysdk
fi
