#!/usr/bin/env bash
# Writes a runnable nginx main config around deploy/nginx/rehome.conf, with its listen port and upstream servers
# replaced, and every path inside DIR. Nothing is started.
#
#   deploy/nginx/render.sh DIR LISTEN_PORT HOST:PORT [HOST:PORT…]      prints DIR/nginx.conf
#
# Run it with: nginx -c DIR/nginx.conf -g 'daemon off;'   (local-cluster.sh and the nginx test do).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
(( $# >= 3 )) || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
dir="$(mkdir -p "$1" && cd "$1" && pwd)"; listen="$2"; shift 2

servers=""
for upstream in "$@"; do servers+="    server $upstream max_fails=1 fail_timeout=5s;"$'\n'; done
# The example's own server lines go; the given ones take the place of the first.
awk -v servers="$servers" -v listen="$listen" -v logs="$dir" '
  /^ *server 127\.0\.0\.1:[0-9]+ / { if (!done) { printf "%s", servers; done = 1 } next }
  /^ *listen [0-9]+;/ { sub(/[0-9]+/, listen) }
  { gsub("/var/log/nginx/", logs "/") }
  { print }
' "$here/rehome.conf" > "$dir/rehome.conf"

mkdir -p "$dir/temp"
cat > "$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {}
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    include $dir/rehome.conf;
}
CONF
echo "$dir/nginx.conf"
