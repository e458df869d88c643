#!/usr/bin/env bash
# Writes a runnable nginx main config around deploy/nginx/rehome.conf, with its listen port and upstream servers
# replaced, and every path inside DIR. Nothing is started.
#
#   deploy/nginx/render.sh DIR LISTEN_PORT HOST:PORT [HOST:PORT…]      prints DIR/nginx.conf
#   deploy/nginx/render.sh --http-block LISTEN_PORT HOST:PORT…          prints only the http-block part
#                                                                       (deploy/compose/nginx.conf is made so)
#
# Run it with: nginx -c DIR/nginx.conf -g 'daemon off;'   (local-cluster.sh and the nginx test do).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# http_block LISTEN LOG_DIR UPSTREAM…: the example with its listen port, upstream servers and log folder replaced.
http_block() {
  local listen="$1" logs="$2" servers="" upstream; shift 2
  for upstream in "$@"; do servers+="    server $upstream max_fails=1 fail_timeout=5s;"$'\n'; done
  # The example's own server lines go; the given ones take the place of the first.
  awk -v servers="$servers" -v listen="$listen" -v logs="$logs" '
    /^ *server 127\.0\.0\.1:[0-9]+ / { if (!done) { printf "%s", servers; done = 1 } next }
    /^ *listen [0-9]+;/ { sub(/[0-9]+/, listen) }
    { gsub("/var/log/nginx/", logs "/") }
    { print }
  ' "$here/rehome.conf"
}

if [[ "${1:-}" == "--http-block" ]]; then
  (( $# >= 3 )) || usage
  listen="$2"; shift 2
  http_block "$listen" /var/log/nginx "$@"
  exit 0
fi

(( $# >= 3 )) || usage
dir="$(mkdir -p "$1" && cd "$1" && pwd)"; listen="$2"; shift 2
http_block "$listen" "$dir" "$@" > "$dir/rehome.conf"

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
