#!/usr/bin/env bash
# Static checks of the deployment files, for CI: the compose files, the nginx config (and that the compose copy is
# rendered from it), the Prometheus config and rules (and the rules' unit tests), the Kubernetes manifests, and the scripts. Nothing is
# started. Under CI=true a missing tool is a failure; locally it is skipped with a note.
# The rendered Kubernetes objects are also read into the Kubernetes API's typed models, strictly, by
# Tests/Operations/DeploymentFilesTests (part of the test suite).
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
  for file in docker-compose.yml deploy/compose/single-node.yml; do
    REHOME_SIGNING_KEY=check-only-0123456789abcdef0123456789abcdef REHOME_SERVICE_KEY=check-only-0123456789 docker-compose -f "$file" config -q
    echo "$file: docker-compose config -q ok"
  done
fi
if need nginx nginx; then
  deploy/nginx/check.sh
fi
# The compose stack's nginx config is the example rendered for the compose network; it must not drift.
if ! diff <(sed '1,3d' deploy/compose/nginx.conf) <(deploy/nginx/render.sh --http-block 80 gateway:8080) > /dev/null; then
  echo "deploy/compose/nginx.conf differs from deploy/nginx/rehome.conf: regenerate it (see its first line)" >&2
  exit 1
fi
echo "deploy/compose/nginx.conf: rendered from deploy/nginx/rehome.conf"
if need promtool prometheus; then
  # Checks the rules file it names too; then the rules' unit tests.
  promtool check config deploy/prometheus/prometheus.yml
  promtool test rules deploy/prometheus/rehome-rules.test.yml
fi
if need kubectl kubectl; then
  rendered="$(kubectl kustomize deploy/kubernetes)"
  echo "deploy/kubernetes: kubectl kustomize ok ($(grep -c '^kind:' <<< "$rendered") objects)"
fi
# One file per call: `bash -n a b` checks only a (b becomes its argument).
for script in deploy/local-cluster.sh deploy/loopback-tcp.sh deploy/nginx/check.sh deploy/nginx/render.sh deploy/demo.sh; do
  bash -n "$script"
done
echo "scripts: bash -n ok"
