#!/usr/bin/env bash
# Build the dlib reference program (tools/faces/reference.cpp, Debian libdlib-dev) and
# write upstream reference outputs to crates/faces/tests/fixtures/.
#
#   tools/faces/make_fixtures.sh [--benchmark]
#
# --benchmark also runs dlib over every photo fetched by tools/faces/fetch_photos.sh and
# writes tests/faces/photos/dlib_reference/*.json (not committed; photos are not
# commit-able).
set -euo pipefail
. "$(dirname "$0")/common.sh"

BENCH=0
[ "${1:-}" = "--benchmark" ] && BENCH=1
FIX="$FACES_ROOT/crates/faces/tests/fixtures"
ASSETS="$FACES_ROOT/crates/faces/assets"
PHOTOS="${FACES_PHOTOS:-$FACES_ROOT/tests/faces/photos}"
REF="$FACES_CACHE/reference"

fetch_models
start=$(date +%s)
build_reference "$REF"
echo "reference built in $(( $(date +%s) - start )) s" >&2

# 1. the committed converted assets must match what dlib itself reads from the .dat files
"$REF" verify-resnet "$RESNET_DAT" "$ASSETS/face_resnet_v1.bin"
"$REF" verify-sp "$SP5_DAT" "$ASSETS/shape_predictor_5.bin"

# 2. inputs: synthetic 150x150 images and the public-domain photographs
mkdir -p "$FIX"
python3 "$FACES_TOOLS/make_inputs.py" "$FIX"
if [ "$BENCH" = 1 ]; then
    "$FACES_TOOLS/fetch_photos.sh" --dest "$PHOTOS"
else
    "$FACES_TOOLS/fetch_photos.sh" --public-domain-only --dest "$PHOTOS"
fi

# 3. landmarks + chips + chip descriptors.  Writes <name>.png (the decoded, possibly
#    transformed pixels dlib used) and <name>_chip.png for each entry.
#    - astronaut:            512x512, detector rect, chip upsampled (no pyramid)
#    - grace_hopper:         512x600 (JPEG decoded by libjpeg), chip downsampled < 2x
#    - grace_hopper_2x_crop: pyramid_up + 480x480 crop: chip rect ~470 px wide, so
#                            extract_image_chip goes through its pyramid_down<2> path, and
#                            the chip rect pokes out of the image (zero fill)
#    - astronaut_edge:       crop with the face half outside the image, rect given (the
#                            detector is not run): out-of-image shape-predictor features
#                            read 0 and the chip is half black
"$REF" landmarks "$RESNET_DAT" "$SP5_DAT" "$FIX/landmarks.json" "$FIX" \
    "astronaut=$PHOTOS/public-domain/astronaut.png" \
    "grace_hopper=$PHOTOS/public-domain/grace_hopper.jpg" \
    "grace_hopper_2x_crop=$PHOTOS/public-domain/grace_hopper.jpg|up|crop:297,249,480,480" \
    "astronaut_edge=$PHOTOS/public-domain/astronaut.png|crop:220,0,292,300|rect:-41,83,46,170"

# 4. descriptors of four 150x150 inputs (+ intermediate layer dumps for the first)
"$REF" descriptors "$RESNET_DAT" "$FIX/descriptors.json" \
    gradient="$FIX/input_gradient.png" \
    checker="$FIX/input_checker.png" \
    noise="$FIX/input_noise.png" \
    face_chip_astronaut="$FIX/astronaut_chip.png"

if [ "$BENCH" = 1 ]; then
    OUT="$PHOTOS/dlib_reference"
    mkdir -p "$OUT/images"
    # aligned 150x150 chips: descriptors directly
    args=()
    for f in "$PHOTOS"/dlib/johns/*/*.jpg; do
        person="$(basename "$(dirname "$f")")"
        args+=("$person/$(basename "$f" .jpg)=$f")
    done
    "$REF" descriptors "$RESNET_DAT" "$OUT/johns_descriptors.json" "${args[@]}"
    # photos: largest face
    args=()
    for f in "$PHOTOS"/face_recognition/*.jpg "$PHOTOS"/public-domain/*; do
        args+=("$(basename "${f%.*}")=$f")
    done
    "$REF" landmarks "$RESNET_DAT" "$SP5_DAT" "$OUT/portraits_landmarks.json" "$OUT/images" "${args[@]}"
    # group photos: every face
    args=()
    for f in "$PHOTOS"/vladmandic-face-api/*.jpg "$PHOTOS"/dlib/faces/*.jpg; do
        args+=("$(basename "$(dirname "$f")")_$(basename "${f%.*}")=$f")
    done
    "$REF" landmarks-all "$RESNET_DAT" "$SP5_DAT" "$OUT/groups_landmarks.json" "$OUT/images" "${args[@]}"
fi

(cd "$FIX" && sha256sum ./*.json ./*.png)
