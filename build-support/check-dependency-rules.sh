#!/usr/bin/env bash
# Proves the build refuses a service importing another service: writes a probe module into
# intake that imports fraud, asks Pants for its dependencies, and expects the dependency rule
# to deny it. The probe is always removed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
probe=services/intake/src/icpa_intake/_dependency_rule_probe.py
trap 'rm -f "$probe"' EXIT
printf 'import icpa_fraud  # noqa: F401 - deliberately forbidden\n' > "$probe"
if out=$(./pants dependencies "$probe" 2>&1); then
  echo "check-dependency-rules: FAILED: intake may import fraud, the build allowed it" >&2
  echo "$out" >&2
  exit 1
fi
if grep -q "DependencyRuleActionDeniedError" <<<"$out"; then
  echo "check-dependency-rules: ok (intake -> fraud is denied by the build)"
else
  echo "check-dependency-rules: FAILED for another reason:" >&2
  echo "$out" >&2
  exit 1
fi
