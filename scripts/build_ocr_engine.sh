#!/bin/sh
# Build tesseract's library for in-process OCR, without any GPL code, into the venv.
#
# Why: the tesseract program reloads its four language models on every page (about
# 0.3 s) and Debian's build is slower; through the library a 300 dpi page costs 1.03 s of
# CPU against 1.97 s (measured 2026-12-06).  The tesserocr wheel on PyPI and Debian's
# libtesseract both link libtiff, which links libjbig (JBIG-KIT, GPL-2.0-or-later): not in
# a proprietary program.  boekbox hands tesseract raw grey bytes, so leptonica is built
# here with no image library at all (no libtiff, hence no libjbig).
#
# Sources: Debian bookworm's original tarballs (the same versions as the tesseract program
# the tests and the floor use), checked by SHA-256.  Licences: leptonica BSD-2-Clause,
# tesseract Apache-2.0, tesserocr MIT.
#
# Usage: scripts/build_ocr_engine.sh [VENV]   (default .venv; idempotent)
set -eu

VENV=$(cd "${1:-.venv}" && pwd)
PREFIX=$VENV/ocr-engine
BUILD=${TMPDIR:-/tmp}/boekbox-ocr-engine
POOL=http://deb.debian.org/debian/pool/main
LEPT=leptonlib_1.82.0.orig.tar.gz
LEPT_SHA=155302ee914668c27b6fe3ca9ff2da63b245f6d62f3061c8f27563774b8ae2d6
TESS=tesseract_5.3.0.orig.tar.gz
TESS_SHA=7e70870f8341e5ea228af2836ce79a36eefa11b01b56177b4a8997f330c014b8
TESSEROCR=tesserocr==2.13.0

if "$VENV/bin/python" -c "import tesserocr" 2>/dev/null && [ -f "$PREFIX/.built" ]; then
    echo "OCR engine already built in $PREFIX"
    exit 0
fi

if [ ! -f "$PREFIX/lib/libtesseract.so.5.3.0" ]; then
    mkdir -p "$BUILD"
    fetch() {
        if ! echo "$2  $BUILD/$1" | sha256sum -c --status 2>/dev/null; then
            curl -fsSL --retry 3 -o "$BUILD/$1" "$3/$1"
            echo "$2  $BUILD/$1" | sha256sum -c --quiet
        fi
    }
    fetch "$LEPT" "$LEPT_SHA" "$POOL/l/leptonlib"
    fetch "$TESS" "$TESS_SHA" "$POOL/t/tesseract"

    cd "$BUILD"
    rm -rf leptonica-1.82.0 tesseract-5.3.0
    tar xzf "$LEPT"
    tar xzf "$TESS"
    JOBS=$(nproc 2>/dev/null || echo 2)

    cmake -S leptonica-1.82.0 -B leptonica-1.82.0/build -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX="$PREFIX" -DSW_BUILD=OFF \
        -DCMAKE_DISABLE_FIND_PACKAGE_TIFF=ON -DCMAKE_DISABLE_FIND_PACKAGE_GIF=ON \
        -DCMAKE_DISABLE_FIND_PACKAGE_JPEG=ON -DCMAKE_DISABLE_FIND_PACKAGE_PNG=ON \
        -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON >/dev/null
    cmake --build leptonica-1.82.0/build -j "$JOBS" >/dev/null
    cmake --install leptonica-1.82.0/build >/dev/null

    cmake -S tesseract-5.3.0 -B tesseract-5.3.0/build -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX="$PREFIX" -DSW_BUILD=OFF \
        -DLeptonica_DIR="$PREFIX/lib/cmake/leptonica" -DBUILD_TRAINING_TOOLS=OFF \
        -DDISABLE_ARCHIVE=ON -DDISABLE_CURL=ON -DGRAPHICS_DISABLED=ON -DOPENMP_BUILD=OFF \
        -DCMAKE_INSTALL_RPATH="$PREFIX/lib" >/dev/null
    cmake --build tesseract-5.3.0/build -j "$JOBS" >/dev/null
    cmake --install tesseract-5.3.0/build >/dev/null
fi

# never the PyPI wheel (it bundles libjbig): built here, against the libraries above
PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" LDFLAGS="-Wl,-rpath,$PREFIX/lib" \
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-binary tesserocr --no-cache-dir "$TESSEROCR" >/dev/null

for lib in "$PREFIX"/lib/libleptonica.so "$PREFIX"/lib/libtesseract.so; do
    if readelf -d "$lib" | grep -Eq 'NEEDED.*(jbig|tiff)'; then
        echo "refusing: $lib links libtiff or libjbig" >&2
        exit 1
    fi
done
touch "$PREFIX/.built"
echo "OCR engine built in $PREFIX"
