#!/usr/bin/env bash
# MRZ reader benchmark. Generates a fixed-seed corpus of specimen passports, identity cards and
# visas at four degradation levels and prints, per level, the share of MRZs read exactly, the
# share whose key fields are right, and milliseconds per document (JPEG decoding included, one core).
#
#   bash bench/mrz.sh [--count N per level] [--seed S] [--level clean|light|medium|hard]... [--json]
#   bash bench/mrz.sh --baseline [--count N] [--seed S]
#       also runs PassportEye (Tesseract) on the very same files and prints the ratios; installs
#       tesseract-ocr (apt) and passporteye (PyPI, in bench/.venv) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=false
args=()
for a in "$@"; do
  if [ "$a" = "--baseline" ]; then baseline=true; else args+=("$a"); fi
done
cargo build --release -q -p verity-corpus
if ! $baseline; then
  exec taskset -c 0 ./target/release/verity-corpus bench "${args[@]}"
fi
if ! command -v tesseract >/dev/null; then
  echo "installing tesseract-ocr (apt)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null
fi
if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c "import passporteye" 2>/dev/null; then
  echo "installing passporteye (PyPI) in bench/.venv" >&2
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q passporteye
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
./target/release/verity-corpus generate --out "$dir" "${args[@]}" >/dev/null
verity=$(taskset -c 0 ./target/release/verity-corpus bench --dir "$dir" --json)
baseline_out=$(taskset -c 0 bench/.venv/bin/python bench/passporteye_baseline.py "$dir")
echo "$verity" | sed '$d'
echo
echo "$baseline_out" | sed '$d'
echo
python3 - "$(echo "$verity" | tail -1)" "$(echo "$baseline_out" | tail -1)" <<'PY'
import json, sys
ours = {r["level"].lower(): r for r in json.loads(sys.argv[1])}
theirs = {r["level"]: r for r in json.loads(sys.argv[2])}
print("%-8s %16s %16s %14s" % ("level", "exact (V / PE)", "fields (V / PE)", "speed ratio"))
for level in ["clean", "light", "medium", "hard"]:
    if level not in ours or level not in theirs:
        continue
    o, t = ours[level], theirs[level]
    n = o["docs"]
    print("%-8s %7.1f%% /%5.1f%% %7.1f%% /%5.1f%% %12.0fx" % (
        level, 100.0 * o["exact"] / n, 100.0 * t["exact"] / n, 100.0 * o["fields"] / n, 100.0 * t["fields"] / n,
        t["s_mean"] * 1000.0 / max(o["ms_mean"], 1e-9)))
PY
