#!/usr/bin/env bash
# The engine's throughput: natural sessions decided per second, and per CPU-second, from their
# stored images to the committed decision (crates/verity/tests/api/engine/throughput.rs).
#   bash bench/engine.sh [--sessions 20] [--backends "sqlite postgres"]
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=20; backends="sqlite postgres"
while [ $# -gt 0 ]; do
    case "$1" in
        --sessions) sessions="$2"; shift 2 ;;
        --backends) backends="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
for backend in $backends; do
    VERITY_BENCH_SESSIONS="$sessions" VERITY_BENCH_BACKEND="$backend" \
        cargo test --release -q -p verity --test api engine::throughput -- --ignored --nocapture 2>&1 \
        | grep -E '^(engine throughput|  )'
done
