#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet.
#
#   scripts/ensure-debian-packages.sh tesseract-ocr tesseract-ocr-nld ...
#
# Idempotent: checks each package with dpkg-query first and does nothing (no
# apt-get update, no network) when all are present.  Installs only when running
# as root; otherwise prints the command to run and carries on, so that a
# developer without root still gets the rest of `make` (tests that need a
# missing tool skip locally and fail in CI).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "ensure-debian-packages: not a Debian system; make sure these are installed: $*" >&2
    exit 0
fi

missing=()
for package in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    if [ "$status" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-debian-packages: missing Debian packages: ${missing[*]}" >&2
    echo "ensure-debian-packages: install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 0
fi

echo "ensure-debian-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
