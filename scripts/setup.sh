#!/usr/bin/env bash
# Installs everything VoiceCart needs on a fresh Debian machine: system packages, then the
# Python package (editable) with its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: speech and audio for the voice loop (espeak-ng, sox, PortAudio), the load
# generator for the benchmarks (wrk) and the browser for the console tests (chromium; never
# a browser downloaded by Playwright). PostgreSQL comes with scripts/postgres.sh.
APT_PACKAGES=(espeak-ng sox libportaudio2 wrk chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
