#!/usr/bin/env bash
# Checks deploy/nginx/rehome.conf with `nginx -t`, wrapped in a throw-away main config (nothing is started).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
conf="$("$here/render.sh" "$tmp" 21088 127.0.0.1:21080 127.0.0.1:21081)"
nginx -t -q -e "$tmp/error.log" -c "$conf"
echo "deploy/nginx/rehome.conf: nginx -t ok"
