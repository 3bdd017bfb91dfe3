#!/usr/bin/env bash
# Debian packages the tests need beyond Python: chromium + chromium-driver (the reviewer
# console's end-to-end test drives a real headless browser) and graphviz (`icpa graph` renders
# the state machine with `dot`). Idempotent: installs only what is missing, so a warm machine
# pays one dpkg query. Needs root (CI and the dev machines run as root) or passwordless sudo.
set -euo pipefail

packages=(chromium chromium-driver graphviz fonts-dejavu-core)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
sudo=()
if ((EUID != 0)); then
  sudo=(sudo -n)
fi
echo "system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
