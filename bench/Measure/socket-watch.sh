#!/usr/bin/env bash
# Runs one bench command and watches the TCP connections of its ReHome processes, for a stall that no thread stack
# explains (bench/README, "Two silos, or two co-hosted nodes": the two-silo stall):
#   bench/Measure/socket-watch.sh capacity --silos 2 --no-baseline
# Every second it appends `ss -tinm` of each silo and gateway process's connections to <run>/sockets/samples.txt.
# When a process first logs an Orleans call that timed out ("did not arrive on time"), it also saves every
# connection (`ss -tinmoep`) and the kernel's TCP counters (`nstat`: the first since the start, each next since the
# one before) three times, a second apart.
# What to look for: a sender with bytes unsent and the `persist` timer, a receiver with an empty queue (its
# `rcv_ssthresh` against the sender's `mss`), and `TcpExtTCPTimeouts` for retransmissions.
set -euo pipefail
cd "$(dirname "$0")/../.."
results=bench/results
before=$(ls -d "$results"/*/ 2>/dev/null | sort | tail -n 1 || true)
counters=$(mktemp)
trap 'rm -f "$counters"' EXIT
NSTAT_HISTORY="$counters" nstat -n

dotnet run -c Release --no-build --project bench -- "$@" &
bench=$!

run=""
until [[ -n "$run" ]] || ! kill -0 "$bench" 2> /dev/null; do
  sleep 1
  run=$(ls -d "$results"/*/ 2>/dev/null | sort | tail -n 1 || true)
  [[ "$run" == "$before" ]] && run=""
done
[[ -n "$run" ]] || { wait "$bench"; exit $?; }
run="${run%/}"
out="$run/sockets"
mkdir -p "$out"

seen=0
while kill -0 "$bench" 2> /dev/null; do
  {
    echo "## $(date -u +%H:%M:%S.%N)"
    for pid in $(pgrep -f 'ReHome\.(Silo|Gateway)\.dll' || true); do
      ss -tinmH -p state established 2> /dev/null | grep -A1 "pid=$pid," | grep -v '^--$' || true
    done
  } >> "$out/samples.txt"
  if (( !seen )) && grep -qs 'did not arrive on time' "$run"/logs/*.log; then
    seen=1
    echo "socket-watch: a call timed out; saving every connection and the TCP counters to $out" >&2
    for i in 1 2 3; do
      ss -tinmoepH state established > "$out/connections-$i.txt" 2>&1 || true
      NSTAT_HISTORY="$counters" nstat > "$out/nstat-$i.txt"
      sleep 1
    done
  fi
  sleep 1
done
NSTAT_HISTORY="$counters" nstat > "$out/nstat-end.txt"
wait "$bench"
