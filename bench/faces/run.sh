#!/usr/bin/env bash
# The built-in face matcher on real photographs: genuine pass rate, false matches, inconclusive
# share and distances per document degradation, then milliseconds per image on one core.
#
#   bench/faces/run.sh            # fetches the photos (tools/faces/fetch_photos.sh) if missing
#
# People with several photos: dlib's examples/johns (5 people x 11 aligned photos) and Obama
# (3 photos, face_recognition's test images); people with one photo are impostors only (Biden,
# Tom Cruise, Eileen Collins, Grace Hopper). None of these photos is committed (PHOTOS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PHOTOS=tests/faces/photos
[ -d "$PHOTOS/dlib/johns" ] || bash tools/faces/fetch_photos.sh
SET=target/face-bench/people
rm -rf "$SET" && mkdir -p "$SET"
for person in "$PHOTOS"/dlib/johns/*/; do
    ln -s "$(realpath "$person")" "$SET/$(basename "$person")"
done
mkdir -p "$SET/Barack_Obama" "$SET/Joe_Biden" "$SET/Tom_Cruise" "$SET/Eileen_Collins" "$SET/Grace_Hopper"
for f in obama obama2 obama3; do ln -s "$(realpath "$PHOTOS/face_recognition/$f.jpg")" "$SET/Barack_Obama/$f.jpg"; done
ln -s "$(realpath "$PHOTOS/face_recognition/biden.jpg")" "$SET/Joe_Biden/biden.jpg"
ln -s "$(realpath "$PHOTOS/dlib/faces/Tom_Cruise_avp_2014_4.jpg")" "$SET/Tom_Cruise/1.jpg"
ln -s "$(realpath "$PHOTOS/public-domain/astronaut.png")" "$SET/Eileen_Collins/1.png"
ln -s "$(realpath "$PHOTOS/public-domain/grace_hopper.jpg")" "$SET/Grace_Hopper/1.jpg"
# One core, as the engine's reading thread has.
exec taskset -c 0 cargo run --release -q -p verity-service --example face_match_benchmark -- "$SET"
