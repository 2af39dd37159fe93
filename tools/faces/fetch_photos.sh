#!/usr/bin/env bash
# Download the face photographs used by Verity's face tests and identity-matching
# benchmark into tests/faces/photos/ (NOT committed; see tools/faces/PHOTOS.md).
#
#   tools/faces/fetch_photos.sh [--public-domain-only] [--dest DIR]
#
# Only the package registries are used, through their ordinary clients:
#   pip     scikit-image 0.26.0 wheel  -> public-domain/astronaut.png   (NASA, public domain)
#   pip     matplotlib 3.11.2 wheel    -> public-domain/grace_hopper.jpg (US Navy, public domain)
#   pip     face_recognition 1.3.0     -> face_recognition/*.jpg       (licence of photos unstated)
#   npm     @vladmandic/face-api 1.7.15 -> vladmandic-face-api/*.jpg   (MIT package; private persons)
#   apt-get source dlib 19.24+dfsg-1   -> dlib/johns/**, dlib/faces/*  (licence of photos unclear)
# Every file is checked against the SHA-256 list at the end of this script.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PD_ONLY=0
DEST="$FACES_ROOT/tests/faces/photos"
while [ $# -gt 0 ]; do
    case "$1" in
        --public-domain-only) PD_ONLY=1 ;;
        --dest) DEST="$2"; shift ;;
        *) die "unknown argument $1" ;;
    esac
    shift
done
mkdir -p "$DEST"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

extract_from_wheel() { # wheel member dest
    python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
}

pip_wheel() { # requirement -> prints wheel path
    local d="$WORK/pip-$RANDOM"
    mkdir -p "$d"
    pip download -q --no-deps --only-binary=:all: --implementation cp --python-version 3.11 \
        --abi cp311 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d "$d" "$1" >&2
    ls "$d"/*.whl
}

# --- public domain (commit-able) -------------------------------------------------
mkdir -p "$DEST/public-domain"
if [ ! -f "$DEST/public-domain/astronaut.png" ]; then
    extract_from_wheel "$(pip_wheel scikit-image==0.26.0)" skimage/data/astronaut.png "$DEST/public-domain/astronaut.png"
fi
if [ ! -f "$DEST/public-domain/grace_hopper.jpg" ]; then
    extract_from_wheel "$(pip_wheel matplotlib==3.11.2)" matplotlib/mpl-data/sample_data/grace_hopper.jpg \
        "$DEST/public-domain/grace_hopper.jpg"
fi

if [ "$PD_ONLY" = 0 ]; then
    # --- face_recognition 1.3.0 sdist (PyPI) ------------------------------------
    if [ ! -f "$DEST/face_recognition/obama.jpg" ]; then
        mkdir -p "$WORK/fr" "$DEST/face_recognition"
        pip download -q --no-deps --no-binary=:all: -d "$WORK/fr" face_recognition==1.3.0 >&2
        tar -xzf "$WORK/fr/face_recognition-1.3.0.tar.gz" -C "$WORK/fr"
        cp "$WORK"/fr/face_recognition-1.3.0/tests/test_images/*.jpg "$DEST/face_recognition/"
    fi
    # --- @vladmandic/face-api 1.7.15 (npm) ---------------------------------------
    if [ ! -f "$DEST/vladmandic-face-api/sample1.jpg" ]; then
        mkdir -p "$WORK/npm" "$DEST/vladmandic-face-api"
        (cd "$WORK/npm" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null)
        tar -xzf "$WORK/npm/vladmandic-face-api-1.7.15.tgz" -C "$WORK/npm"
        cp "$WORK"/npm/package/demo/sample[1-6].jpg "$DEST/vladmandic-face-api/"
    fi
    # --- Debian source package dlib 19.24+dfsg-1: examples/johns, examples/faces --
    if [ ! -d "$DEST/dlib/johns" ]; then
        # Enable deb-src for the configured Debian archive in a private apt state dir,
        # ask apt for the URI of the upstream tarball only (the package's second
        # upstream tarball holds 200 MB of models we do not need here).
        mkdir -p "$WORK/apt/sources" "$WORK/apt/lists/partial"
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] && grep -qi debian "$f" \
                && sed 's/^Types: deb$/Types: deb deb-src/' "$f" > "$WORK/apt/sources/$(basename "$f")"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] && grep -i '^deb .*debian' "$f" | sed 's/^deb /deb-src /' >> "$WORK/apt/sources/debian-src.list"
        done
        APT=(apt-get -q -o Dir::Etc::SourceParts="$WORK/apt/sources" -o Dir::Etc::SourceList=/dev/null
             -o Dir::State::Lists="$WORK/apt/lists")
        "${APT[@]}" update >/dev/null 2>&1 || die "apt-get update (deb-src) failed"
        line="$(cd "$WORK" && "${APT[@]}" --print-uris source dlib=19.24+dfsg-1 2>/dev/null | grep "dlib_19.24+dfsg.orig.tar.bz2")"
        uri="$(echo "$line" | cut -d"'" -f2)"
        [ -n "$uri" ] || die "apt-get could not locate dlib_19.24+dfsg.orig.tar.bz2"
        curl -fsSL -o "$WORK/dlib.orig.tar.bz2" "$uri"
        check_sha256 "$WORK/dlib.orig.tar.bz2" 66b4263822a2ff91a3e769e501c7d7927a13089e178c1427ec19cb0475823cf6
        mkdir -p "$DEST/dlib"
        tar -xjf "$WORK/dlib.orig.tar.bz2" -C "$DEST/dlib" --strip-components=2 \
            --wildcards 'dlib-19.24+dfsg/examples/johns/*' 'dlib-19.24+dfsg/examples/faces/*.jpg'
    fi
fi

# --- verify ------------------------------------------------------------------------
sed -n '/^# BEGIN SHA256SUMS$/,/^# END SHA256SUMS$/p' "$0" | grep -v '^#' | sed 's/^ *//' > "$WORK/sums"
if [ "$PD_ONLY" = 1 ]; then
    grep '  public-domain/' "$WORK/sums" > "$WORK/sums.pd"; mv "$WORK/sums.pd" "$WORK/sums"
fi
(cd "$DEST" && sha256sum --quiet -c "$WORK/sums") || die "photo checksum mismatch"
cp "$WORK/sums" "$DEST/SHA256SUMS"
echo "photos ok: $(wc -l < "$WORK/sums") files in $DEST"
exit 0

# BEGIN SHA256SUMS
    88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5  public-domain/astronaut.png
    a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130  public-domain/grace_hopper.jpg
    0746dd3800035ee47842520e89da30d6890a89bcc737b510de42d307ce324f92  dlib/johns/John_Salley/000179_02159509.jpg
    34ad490007419a2ffa8c59dbbb7b5d7fb7f6b8592ee61c4935b95502ecee5a83  dlib/johns/John_Salley/000183_02159543.jpg
    feae177e82c18f30d4185fbb74a0b86cce81533e3fd0ad41a6d47348e6b1690a  dlib/johns/John_Salley/000186_02159346.jpg
    5c676851430fd37324186db62180375dbe43cc651a11baf884b41c7355b7adcb  dlib/johns/John_Salley/000189_02159361.jpg
    46061ccf5f1182c2ddf38e15b97eaaa1e1b680bd8b77167e81c23222385ab1c9  dlib/johns/John_Salley/000190_02159501.jpg
    1195de34b90494a85b2d9acc6fcfc63e420e50f0643d0cb941e164564a93a462  dlib/johns/John_Salley/000192_02159531.jpg
    f31c9b54e688dd40b93dbd03143dced5ef9b910f7bc31480a57df92bc43b5826  dlib/johns/John_Salley/000194_02159572.jpg
    74b907a60a4e6ccaf0579556611ac1da44b0ef9952de69d0f2a1975ac5805d77  dlib/johns/John_Salley/000197_02159322.jpg
    0c8063fcb3f8380096b1bea6fa45d51dc035b4440871b1afb0faf2941336bc78  dlib/johns/John_Salley/000197_02159525.jpg
    3997d74f00079292a20985ee10836d7339722aa4bb338bf500415aac746504e6  dlib/johns/John_Salley/000198_02159470.jpg
    6fb36f5546247c2a6a3a8e2444ee64cd67c635038202156b3c2cf4189b58b2ca  dlib/johns/John_Salley/000200_02159354.jpg
    14eed136cdd4080c5b5cbd8ddc6928e979de2f75cc36b8ccc25f7f3d2f953472  dlib/johns/John_Savage/000264_01099001.jpg
    963beefe814c9e5e7ee85771de931d8d1fbad881181caaa25f08fb916b9070f8  dlib/johns/John_Savage/000274_01099061.jpg
    d13c13fbeab0e4e537c472c31ebe901e67edeab7a6d5cb9f712dcbbf006c7ef3  dlib/johns/John_Savage/000277_01099000.jpg
    7c51344a8f6186e50a6576c7150e25d4f0886cd6b77145a44b974da8ebd4f656  dlib/johns/John_Savage/000289_01099139.jpg
    a739afbc670df1f9a0e1db3e377625433f826a0cd19b59e87bd2962ac5592921  dlib/johns/John_Savage/000290_01099067.jpg
    df0920ea9aee4af6e024ad7f13d1ec123afb9b2dca50092e2da031b752f90486  dlib/johns/John_Savage/000290_01099090.jpg
    1a87cfe7494cebaca178577362d9df7ed070d229e893d69668279fd509faf726  dlib/johns/John_Savage/000291_01099023.jpg
    3c012fdceadaf4093fb8b60ebeb9dfd04f9895b3042817bcd8ad56a1a7979b4b  dlib/johns/John_Savage/000291_01099214.jpg
    a915ea14f07eb602a38cea48dbe0af25e61458b374cca6b5ded133970fbf6738  dlib/johns/John_Savage/000293_01099081.jpg
    b2a5982b79fc05464f3dbf9683109fb2186c6fd6a630e67c172b421d57d0f6cd  dlib/johns/John_Savage/000296_01099007.jpg
    48135745f2de730862e2ba2647d6a329b58c9cc2ca96112ca8170d926216356a  dlib/johns/John_Savage/000299_01099008.jpg
    8900ddf30b907b45d58d78fbe85dc52daa126a20edccd0af20a501c2192eb8d9  dlib/johns/John_Schneider/000288_00925786.jpg
    c1fff8cadef7ac405c12fcaea3f2ce005b4bea682f9b0ff850aeb297477183b1  dlib/johns/John_Schneider/000302_00925785.jpg
    7460dad4bd21e077896cfa5e45bf44fde4c66d23a6147d785ad7100fb389c9af  dlib/johns/John_Schneider/000307_00925823.jpg
    59387450152a14bdc667755db88125f962555140b00488b29a02eb21721f75ca  dlib/johns/John_Schneider/000325_00925954.jpg
    d215376c3e7f89f85fa0f667141600733e653a843224036cf377a6842f22508e  dlib/johns/John_Schneider/000326_00925765.jpg
    f79a401ef35ec02bd12ca98cfe1d29025bafe3ce87e23eef1eb47deaaf4e2ac4  dlib/johns/John_Schneider/000326_00926089.jpg
    f5731324fc2d5e2173cb627e0d28898b3220a4298bcd78c49e6b97dce05ee7b9  dlib/johns/John_Schneider/000326_00926128.jpg
    963bd64806fb22d27a4d8b903b9b2a20304d0bbd064149c8c29192ea9a72f690  dlib/johns/John_Schneider/000326_00926139.jpg
    58e0a4141ecb966ac83aba88562719accdcdc12376a5a8c10c1475d65e741b1c  dlib/johns/John_Schneider/000329_00925859.jpg
    580330c8fa271cc509620d8d380937f45ee49b4f7f2a09126921dad918055a1b  dlib/johns/John_Schneider/000329_00925963.jpg
    3d1fcdcfd4205e2c92eff4db8b4c6cd22a1d57f03df1dce9cf0bcb4952f0e067  dlib/johns/John_Schneider/000331_00926012.jpg
    457a4a7a038291f40274ecf11e869c3f119e6bf4d0ff84971424a3054484a45a  dlib/johns/John_Shimkus/000373_03228153.jpg
    e01aaf38b541e806e1469839db5caccb523591c1cc9b4f3429469a65439d236a  dlib/johns/John_Shimkus/000375_03227651.jpg
    4b19df0572048b3ebcf5d4a44b3d03844f024ba90b7a235430900e54816eb322  dlib/johns/John_Shimkus/000376_02340068.jpg
    0c309a24a6611ebc5a0a30a476819d551409c4d636cc8fe813c015412c26038f  dlib/johns/John_Shimkus/000378_02340151.jpg
    0c309a24a6611ebc5a0a30a476819d551409c4d636cc8fe813c015412c26038f  dlib/johns/John_Shimkus/000378_03227610.jpg
    2687d6271246ecf599e07294d1abe84e2ee67430626643182daa74040d52070c  dlib/johns/John_Shimkus/000383_03227939.jpg
    e183fc03869b13cfa7372d7ff7495c7966aa1f87f0fd3fbf0334bc7718b315d8  dlib/johns/John_Shimkus/000385_03227766.jpg
    285507f70f60eebe3dfdb985645f6ce4a124e31484635093ac9921840aed889c  dlib/johns/John_Shimkus/000388_03227773.jpg
    642de9776b341c01575ac681bee0b879097d03cb9875c773b5b1efc332d3ffaf  dlib/johns/John_Shimkus/000390_03227666.jpg
    f982b0ed19b17fbffa733ea4021d64f7530ed56b8b49b6ba4110706f28bbc382  dlib/johns/John_Shimkus/000394_02340150.jpg
    290ac1aea49ea5586c8b02fe16e8c6026b4fe65cbe13c71114b3530a3254a8a8  dlib/johns/John_Shimkus/000396_03227722.jpg
    0283a79b2b661b3452796c5cf197eb7abba03974eeb8f4a4eae2d60f85f4a5c0  dlib/johns/John_Simm/000288_00470387.jpg
    da2bd90ee746468220a217535130dadffa5ebaa2db3f8293e2d319d4a7247efd  dlib/johns/John_Simm/000297_00470170.jpg
    21e8a27203f7ab27f58f62f81cb61beb4269ba797c03bbd8d7949aab3c5f8f34  dlib/johns/John_Simm/000300_00470148.jpg
    e5de14637ad7702f1dc0b2991c1eb6e4a4a5d8ca6553b35edab25db1457c7747  dlib/johns/John_Simm/000304_00470122.jpg
    1d35bc715aff1d1e2507e1f2daf10b9fe630f48b5f7f48ab6c062adc8b2e53cc  dlib/johns/John_Simm/000305_00470162.jpg
    dac8ddb986fd4982165a9ed6ad3de5c9d7ab16f477c8c9aee6bf827b70ad0b06  dlib/johns/John_Simm/000305_00470717.jpg
    ee3b7d8c944ce27289d42d716d692bee6a91b82f23db1dc3b219b276472dca5f  dlib/johns/John_Simm/000306_00470222.jpg
    9a42baf63e6b0703f5315cf514eb586508000c00e287f4f8ea066bdc9f74e865  dlib/johns/John_Simm/000306_00470223.jpg
    a940745579f147de6c3411dcaac92c39dbb37bcd2f094d2859951d945976b7d9  dlib/johns/John_Simm/000309_00470287.jpg
    b9a98269a8deb8f66c88d2dd1a067d869d3e6fe1a7c12eb0863af8edd07a0b89  dlib/johns/John_Simm/000310_00470421.jpg
    f77c91f446f2411f4fc7f0405471dd06fd74eb7626c6e3059f458eadc893f26d  dlib/johns/John_Simm/000310_00470511.jpg
    17d9897dd55d38179f51dc18371b3f4495a606aaa2846e25a3cb6a58b3a97c89  dlib/faces/2007_007763.jpg
    2509864113a286bf245161d0317a18c38b6a6641135969847a7e59dff359c52c  dlib/faces/2008_001009.jpg
    2ea5a60f5347baab8da6eccce43b0320d63da1368d7710fb15cbff8a790bc626  dlib/faces/2008_001322.jpg
    f929bdf416d756b37eb90c119b892eba5d21041b134883e18d827bce641fb48f  dlib/faces/2008_002079.jpg
    14b543e3ac55b497aaaba9dc03a39be04c8ae670851b3f78f9f5adb08295d780  dlib/faces/2008_002470.jpg
    ede6804edf0ec005144ffe7f0f2b56bd2aa1d21beee79d29f72cb16ead19a447  dlib/faces/2008_002506.jpg
    92a075f5e1d279f009ab4809592aaf0109e429adf3266e5aa8ce2755730b41c2  dlib/faces/2008_004176.jpg
    09a0e07d6fb3b4276e73b9f6450b5c69d97d3e3b75807948caf6defd40260e6f  dlib/faces/2008_007676.jpg
    2dc5d52a5388499cf912d7d99dc9d05e4bec7651153331f40e81ae4813bb317c  dlib/faces/2009_004587.jpg
    d9bea1c716b461c15ac3bc7e256bb5efa3e04379d7131f9347e96e4baa6a37c6  dlib/faces/Tom_Cruise_avp_2014_4.jpg
    e0c40697dbd9a07684274f71760bc5161468e926ba75ff90d48b168019402e8b  dlib/faces/bald_guys.jpg
    66e22f8c3bd3b8f876ad9158caaa064992d2b56a5681d9c6efa163a59db7ed03  dlib/faces/dogs.jpg
    3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c  face_recognition/biden.jpg
    0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6  face_recognition/obama.jpg
    a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6  face_recognition/obama2.jpg
    76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3  face_recognition/obama3.jpg
    c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117  face_recognition/obama_partial_face.jpg
    9a812347f97633542b8cd9992de22def11b74f79d82056bc3ee830f13878e028  face_recognition/obama_partial_face2.jpg
    8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51  vladmandic-face-api/sample1.jpg
    7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691  vladmandic-face-api/sample2.jpg
    8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936  vladmandic-face-api/sample3.jpg
    729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc  vladmandic-face-api/sample4.jpg
    6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938  vladmandic-face-api/sample5.jpg
    9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87  vladmandic-face-api/sample6.jpg
# END SHA256SUMS
