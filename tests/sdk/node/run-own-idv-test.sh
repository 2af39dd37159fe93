#!/usr/bin/env bash
# Runs test suites that ship inside the mangopay4-nodejs-sdk npm package against a running
# Verity server: test/services/IdentityVerifications.js, or the files named in SDK_TEST_FILES
# (space-separated, relative to the package, e.g. "test/services/KycDocuments.js").
#
#   VERITY_BASE_URL=http://127.0.0.1:8080 VERITY_CLIENT_ID=... VERITY_API_KEY=... \
#     [SDK_TEST_FILES=...] bash run-own-idv-test.sh [sdk-package-name]
#
# The package is copied to a temporary directory (node_modules is never modified);
# only test/main.js is patched so that the Api is built from the VERITY_* variables.
# Extra arguments after the package name are passed to mocha.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="${1:-mangopay4-nodejs-sdk}"
shift || true

say() { printf '%s\n' "$*"; }
die() { say "FAIL $*"; exit 1; }

for v in VERITY_BASE_URL VERITY_CLIENT_ID VERITY_API_KEY; do
    [ -n "${!v:-}" ] || { say "missing environment variable $v"; exit 2; }
done

src="$here/node_modules/$pkg"
[ -d "$src" ] || die "setup: $src not found (run tests/sdk/setup.sh first)"
[ -f "$src/test/main.js" ] || die "setup: $pkg does not ship test/main.js"
files="${SDK_TEST_FILES:-test/services/IdentityVerifications.js}"
for f in $files; do
    [ -f "$src/$f" ] || die "setup: $pkg does not ship $f"
done
mocha="$here/node_modules/.bin/mocha"
[ -x "$mocha" ] || die "setup: mocha not installed in $here/node_modules (run tests/sdk/setup.sh)"

work="$(mktemp -d "${TMPDIR:-/tmp}/verity-sdk-idv.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Layout: $work/node_modules -> our node_modules (axios, underscore, chai, ...),
#         $work/sdk          =  a private copy of the package (lib/, test/, index.js).
ln -s "$here/node_modules" "$work/node_modules"
cp -R "$src" "$work/sdk"
say "ok   copy $pkg@$(node -p "require('$src/package.json').version") to $work/sdk"

# Patch the Api construction in test/main.js: credentials and base URL from the env.
node - "$work/sdk/test/main.js" <<'EOF' || die "patch test/main.js: the expected 'new mangopay({ clientId: ..., clientApiKey: ... })' block was not found"
const fs = require('fs');
const file = process.argv[2];
const text = fs.readFileSync(file, 'utf8');
const re = /new\s+mangopay\s*\(\s*\{[^}]*clientId\s*:[^}]*clientApiKey\s*:[^}]*\}\s*\)/;
if (!re.test(text)) process.exit(1);
const patched = text.replace(re,
    'new mangopay({\n' +
    '    clientId: process.env.VERITY_CLIENT_ID,\n' +
    '    clientApiKey: process.env.VERITY_API_KEY,\n' +
    "    baseUrl: process.env.VERITY_BASE_URL.replace(/\\/+$/, '')\n" +
    '})');
fs.writeFileSync(file, patched);
EOF
grep -q 'process.env.VERITY_BASE_URL' "$work/sdk/test/main.js" || die "patch test/main.js: patch not applied"
say "ok   patch test/main.js (clientId/clientApiKey/baseUrl from VERITY_*)"

# mocha 9 ignores test/mocha.opts, so pass the options explicitly. The suite's before
# hooks never call done() when a request is rejected, so a server error shows up as a
# hook timeout: keep the timeout short enough to fail fast.
cd "$work/sdk"
set +e
# shellcheck disable=SC2086 # the file list is meant to split
"$mocha" --timeout 20000 --ui bdd --reporter spec $files "$@"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
    die "mocha $files ($pkg) exited with $rc (see the mocha report above)"
fi
say "PASS $pkg own tests ($files)"
