#!/usr/bin/env bash
# Proves the build keeps the two dependency rules, by writing probe modules and expecting Pants
# to deny them (DependencyRuleActionDeniedError):
#   1. a service may not import another service (intake importing fraud);
#   2. a service's domain/ may not import boto3, botocore or its own adapters/ (one probe per
#      service, docs/SERVICE_TEMPLATE.md).
# Every probe is always removed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
probes=()
trap 'rm -f "${probes[@]}"' EXIT

expect_denied() {  # expect_denied <probe file> <what it tries>
  local probe=$1 what=$2 out
  if out=$(./pants dependencies "$probe" 2>&1); then
    echo "check-dependency-rules: FAILED: $what, and the build allowed it" >&2
    echo "$out" >&2
    exit 1
  fi
  if grep -q "DependencyRuleActionDeniedError" <<<"$out"; then
    echo "check-dependency-rules: ok ($what is denied by the build)"
  else
    echo "check-dependency-rules: FAILED for another reason ($what):" >&2
    echo "$out" >&2
    exit 1
  fi
}

probe=services/intake/src/icpa_intake/_dependency_rule_probe.py
probes+=("$probe")
printf 'import icpa_fraud  # noqa: F401 - deliberately forbidden\n' > "$probe"
expect_denied "$probe" "intake importing fraud"
rm -f "$probe"

for dir in services/*/src/icpa_*/domain; do
  pkg=$(basename "$(dirname "$dir")")
  for import in "import boto3" "import botocore" "import ${pkg}.adapters"; do
    probe="$dir/_dependency_rule_probe.py"
    probes+=("$probe")
    printf '%s  # noqa: F401 - deliberately forbidden\n' "$import" > "$probe"
    expect_denied "$probe" "${pkg}.domain: ${import}"
    rm -f "$probe"
  done
done
