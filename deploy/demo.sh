#!/usr/bin/env bash
# The demo through the front door (nginx, an Ingress, or one gateway) of a cluster that runs with Redis, where the
# gateways have no /dev endpoints: a viewer's token signed with the shared key, a thread, and an answer streamed
# through the producer HTTP API. Needs bash, curl and openssl.
#
#   deploy/demo.sh                         all of it: prints the page's address for a browser, waits, streams an answer
#   deploy/demo.sh token USER [HOURS]      a viewer JWT (HS256, Auth:SigningKey), 8 hours by default
#   deploy/demo.sh thread THREAD USER      creates the thread (or replaces its access list), owned by USER
#   deploy/demo.sh stream THREAD [TEXT]    starts a stream on THREAD and sends TEXT word by word, then ends it
#
# Environment: REHOME_URL [http://127.0.0.1:8088], REHOME_SIGNING_KEY, REHOME_SERVICE_KEY (the compose file's
# variables; local-cluster.sh's env file sets Auth__SigningKey and Auth__ServiceKeys__0, which are read too),
# Auth__Issuer [rehome], Auth__Audience [rehome-gateway], REHOME_DEMO_RATE [20 tokens/s].
set -euo pipefail
url="${REHOME_URL:-http://127.0.0.1:8088}"
signing_key="${REHOME_SIGNING_KEY:-${Auth__SigningKey:-}}"
service_key="${REHOME_SERVICE_KEY:-${Auth__ServiceKeys__0:-}}"
rate="${REHOME_DEMO_RATE:-20}"

fail() { echo "$*" >&2; exit 1; }
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

token() {
  local user="$1" hours="${2:-8}" now header payload signature
  [[ -n "$signing_key" ]] || fail "set REHOME_SIGNING_KEY (the gateways' Auth__SigningKey)"
  now="$(date +%s)"
  header="$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)"
  payload="$(printf '{"sub":%s,"iss":%s,"aud":%s,"iat":%d,"nbf":%d,"exp":%d}' "$(json_string "$user")" \
    "$(json_string "${Auth__Issuer:-rehome}")" "$(json_string "${Auth__Audience:-rehome-gateway}")" \
    "$now" "$now" $((now + hours * 3600)) | b64url)"
  signature="$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -hmac "$signing_key" -binary | b64url)"
  printf '%s.%s.%s\n' "$header" "$payload" "$signature"
}

api() {
  local method="$1" path="$2" data=()
  [[ -n "${3:-}" ]] && data=(--data "$3")
  [[ -n "$service_key" ]] || fail "set REHOME_SERVICE_KEY (the gateways' Auth__ServiceKeys__0)"
  curl -fsS --max-time 10 -X "$method" -H "X-Service-Key: $service_key" -H 'Content-Type: application/json' \
    "${data[@]}" "$url$path"
}

thread() {
  api PUT "/api/v1/threads/$1" "{\"ownerUserId\":$(json_string "$2"),\"memberUserIds\":[]}"
}

stream() {
  local thread_id="$1" text="${2:-Hello from ReHome, streamed token by token through nginx to every gateway that has a viewer of this thread. }"
  local stream_id word
  stream_id="$(api POST /api/v1/streams "{\"threadId\":$(json_string "$thread_id"),\"runId\":\"demo-run-$RANDOM$RANDOM\"}" \
    | sed -n 's/.*"streamId":"\([^"]*\)".*/\1/p')"
  [[ -n "$stream_id" ]] || fail "the stream did not start"
  echo "streaming $stream_id on $thread_id" >&2
  for word in $text; do
    api POST "/api/v1/streams/$stream_id/tokens" "{\"token\":$(json_string "$word ")}" > /dev/null
    sleep "$(awk -v r="$rate" 'BEGIN { printf "%.3f", 1 / r }')"
  done
  api POST "/api/v1/streams/$stream_id/end" '{}' > /dev/null
  echo "ended $stream_id" >&2
}

case "${1:-}" in
  token) shift; token "$@" ;;
  thread) shift; thread "$@" ;;
  stream) shift; stream "$@" ;;
  "")
    user="demo-user" thread_id="demo-$(date +%s)"
    thread "$thread_id" "$user"
    echo "Open this in a browser, then press Enter (or wait 20 s):"
    echo "  $url/?access_token=$(token "$user")&thread=$thread_id"
    read -r -t 20 _ || true
    stream "$thread_id"
    ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
