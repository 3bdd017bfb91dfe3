#!/usr/bin/env bash
# Installs the template scanners CI runs, which are not product dependencies (so not in the
# Pants lockfile): aws-sam-cli (`sam validate --lint`) and checkov, each in its own venv under
# the git-ignored /.ci-tools/ (their pins conflict with each other and with our resolve).
# A venv is rebuilt only when its pinned version changes, so re-runs cost nothing.
# Usage: build-support/ci-tools.sh; the tools are then .ci-tools/sam/bin/sam and
#        .ci-tools/checkov/bin/checkov.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SAM_CLI_VERSION=1.170.0
CHECKOV_VERSION=3.3.30

python=""
for candidate in python3.11 python3; do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [[ -z "$python" ]]; then
  echo "ci-tools: no Python 3.11 found" >&2
  exit 1
fi

install() {  # install <venv name> <requirement>
  local venv=".ci-tools/$1" requirement=$2
  if [[ -f "$venv/.installed" && "$(cat "$venv/.installed")" == "$requirement" ]]; then
    return
  fi
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # pip's output (and this machine's find-links warnings) go to a log, shown only on failure.
  if ! "$venv/bin/pip" install "$requirement" > "$venv.log" 2>&1; then
    cat "$venv.log" >&2
    echo "ci-tools: installing $requirement failed" >&2
    exit 1
  fi
  printf '%s' "$requirement" > "$venv/.installed"
  echo "ci-tools: installed $requirement"
}

install sam "aws-sam-cli==$SAM_CLI_VERSION"
install checkov "checkov==$CHECKOV_VERSION"
