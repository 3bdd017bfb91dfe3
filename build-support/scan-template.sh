#!/usr/bin/env bash
# The deployment template's static checks beyond the tests (which run cfn-lint and statelint):
#   - `sam validate --lint`: SAM's own validation (the transform + cfn-lint as SAM CLI pins it);
#   - checkov: security misconfigurations. A finding is fixed in the template or suppressed
#     there with a reason (Metadata.checkov.skip, see orchestration/README.md); any other
#     finding fails this script.
# Both run offline: sam with a region and dummy credentials (it only lints), checkov with
# --skip-download and no API key (no platform calls, no policy download).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build-support/ci-tools.sh
template=${1:-orchestration/template.yaml}

echo "-- sam validate --lint"
AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  SAM_CLI_TELEMETRY=0 .ci-tools/sam/bin/sam validate --lint --template-file "$template"

echo "-- checkov"
# --quiet: only failed checks are listed; the summary line counts passed/failed/skipped.
.ci-tools/checkov/bin/checkov --file "$template" --framework cloudformation \
  --skip-download --compact --quiet
