#!/usr/bin/env bash
# Installs the Debian packages Sparrow needs, only those missing.
#   scripts/install-deps.sh          runtime + build packages (make run)
#   scripts/install-deps.sh --test   also what the test suite drives (make test)
set -euo pipefail
packages=(zlib1g-dev libssl-dev libsqlite3-dev libopenblas-dev pkg-config curl)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(python3-venv chromium chromium-driver debootstrap openssl)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
