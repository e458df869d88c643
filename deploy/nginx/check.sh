#!/usr/bin/env bash
# Checks deploy/nginx/rehome.conf with `nginx -t`, wrapped in a throw-away main config (nothing is started).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $here/rehome.conf;
}
CONF
nginx -t -q -e "$tmp/error.log" -c "$tmp/nginx.conf"
echo "deploy/nginx/rehome.conf: nginx -t ok"
