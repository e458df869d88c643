#!/usr/bin/env bash
# Static checks of the deployment files, for CI: the compose file, the nginx example, the Prometheus rules and
# the scripts. Nothing is started. Under CI=true a missing tool is a failure; locally it is skipped with a note.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

need() {
  if command -v "$1" > /dev/null; then return 0; fi
  if [[ "${CI:-}" == "true" ]]; then echo "$1 is missing (apt-get install $2)" >&2; exit 1; fi
  echo "skipped: $1 is not installed (apt-get install $2)"; return 1
}

if need docker-compose docker-compose; then
  # The keys are required by the file; any value does for a syntax check.
  REHOME_SIGNING_KEY=check-only-0123456789abcdef0123456789abcdef REHOME_SERVICE_KEY=check-only docker-compose config -q
  echo "docker-compose.yml: docker-compose config -q ok"
fi
if need nginx nginx; then
  deploy/nginx/check.sh
fi
if need promtool prometheus; then
  promtool check rules deploy/prometheus/rehome-rules.yml
fi
bash -n deploy/local-cluster.sh deploy/nginx/check.sh
echo "scripts: bash -n ok"
