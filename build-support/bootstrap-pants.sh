#!/usr/bin/env bash
# Bootstraps Pants 2.17.1 with only PyPI reachable: the usual launcher (scie-pants) and
# Pants' PEX CLI are downloaded from GitHub, which is not reachable here. So we install Pants
# into a Python 3.9 venv from PyPI and build the PEX CLI ourselves from the PyPI wheel, with
# the flags of pex's own release script (the result is byte-identical across builds, so the
# sha256 pinned in pants.toml holds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PANTS_VERSION=2.17.1
PEX_VERSION=2.1.137
PEX_SHA256=4758c22500e272539137e11853ce57d6e5bfc4e4bc7222e64a84397475e32ef0

find_py39() {
  local c
  for c in "${PANTS_PYTHON:-}" /root/.pyenv/versions/3.9.*/bin/python3.9 /usr/bin/python3.9 \
           /usr/local/bin/python3.9 "$(command -v python3.9 2>/dev/null || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    # The pyenv shim can exist and still fail: test each candidate by running it.
    if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 9)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

if [ ! -x .pants-venv/bin/pants ]; then
  py39="$(find_py39)" || { echo "bootstrap-pants: Python 3.9 is required to run Pants ${PANTS_VERSION}" >&2; exit 1; }
  echo "bootstrap-pants: installing Pants ${PANTS_VERSION} with ${py39}" >&2
  rm -rf .pants-venv
  "$py39" -m venv .pants-venv
  # The machine-wide pip config pins a constraints file meant for other projects; bypass it.
  PIP_CONFIG_FILE=/dev/null .pants-venv/bin/pip install --quiet --disable-pip-version-check \
    "pantsbuild.pants==${PANTS_VERSION}" "pex==${PEX_VERSION}"
fi

pex_file="tools/pex-v${PEX_VERSION}"
if [ ! -f "$pex_file" ] || ! echo "${PEX_SHA256}  ${pex_file}" | sha256sum -c --status; then
  echo "bootstrap-pants: building the PEX CLI v${PEX_VERSION} from PyPI" >&2
  mkdir -p tools
  PIP_CONFIG_FILE=/dev/null .pants-venv/bin/pex --disable-cache --no-build --no-compile \
    --no-use-system-time --python-shebang "/usr/bin/env python" --no-strip-pex-env \
    --include-tools \
    --interpreter-constraint ">=2.7,<3.12,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*" \
    -c pex -o "$pex_file" "pex==${PEX_VERSION}"
  echo "${PEX_SHA256}  ${pex_file}" | sha256sum -c --status || {
    echo "bootstrap-pants: ${pex_file} does not match the pinned sha256" >&2; exit 1; }
fi
# The mypy named cache dir must exist beforehand (pantsbuild/pants#19888).
mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/pants/named_caches/mypy_cache/$(printf %s "$root" | sha256sum | cut -d' ' -f1)/3.11"
