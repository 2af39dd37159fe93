#!/usr/bin/env bash
# MRZ reader benchmark: generates a fixed-seed corpus of specimen passports, identity cards and
# visas at four degradation levels and prints, per level, the share of MRZs read exactly and the
# milliseconds per document (JPEG decoding included, one core).
#   bash bench/mrz.sh [--count N per level] [--seed S] [--level clean|light|medium|hard]... [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p verity-corpus
exec taskset -c 0 ./target/release/verity-corpus bench "$@"
