#!/usr/bin/env bash
# Where a process's CPU went, by stage of the token path: the inclusive share of perf samples (with callees) of the
# frames that start each stage. Run on a profile recorded by `bench -- light --profile silo,gateway` (best with
# `--env DOTNET_ReadyToRun=0`, so precompiled framework frames have names too):
#   bench/Measure/hop-shares.sh bench/results/<run>/rehome-silo-*.perf.data
# Stages nest (a grain call's receipt includes the grain's work), so shares do not add up to 100 %.
# With the process's CPU per token as a second argument (µs: its CPU % of one core × 10,000 ÷ tokens per second, from
# the run's report), each stage's share is also turned into µs per token.
set -euo pipefail
data="$1"
per_token_us="${2:-}"
report=$(perf report -i "$data" --children --sort sym --stdio -g none 2>/dev/null | grep '%' | grep -v '^#')
total=$(perf report -i "$data" --stdio --header-only 2>/dev/null | grep -m1 'sample duration' || true)
share() { # label, then an extended regex matched against frame names; prints the largest inclusive share
  local best
  best=$( (grep -E "$2" <<< "$report" || true) | awk '{gsub("%","",$1); if ($1 > m) m = $1} END {printf "%.1f", m + 0}')
  row "$1" "$best"
}
row() { # label, share in %
  if [[ -n "$per_token_us" ]]; then
    printf '| %s | %s %% | %s |\n' "$1" "$2" "$(awk -v s="$2" -v t="$per_token_us" 'BEGIN {printf "%.1f", s * t / 100}')"
  else
    printf '| %s | %s %% |\n' "$1" "$2"
  fi
}
if [[ -n "$per_token_us" ]]; then
  echo "| stage ($(basename "$data")) | inclusive share of samples | µs per token (of $per_token_us) |"
  echo "|---|---:|---:|"
else
  echo "| stage ($(basename "$data")) | inclusive share of samples |"
  echo "|---|---:|"
fi
share "receive grain calls from the network (Orleans connections)" 'Orleans.Runtime.Messaging.Connection.*ProcessIncoming|Connection\+<RunInternal>'
share "stream grain: AppendMany (numbering, history, rate)" 'StreamGrain(::|\+<)Append(Many)?[>(]'
share "publisher: batch and publish a thread event" 'ThreadEventPublisher\+<Pump>|ThreadEventPublisher\+<PublishWithRetry>'
share "feed publisher: to the relay, directly or by a batched call" 'ThreadFeedPublisher|ThreadFeedWriter'
share "relay grain: calls from other processes" 'ThreadFeedRelayGrain'
share "relay: route each entry to its subscribers' outboxes" 'ThreadFeedRelay::TryPublish'
share "relay: deliver to subscribers" 'ThreadFeedRelay\+<Send>'
share "checkpoint: chunks and head to storage" 'StreamGrain\+<WriteAfter>|TokenChunks|RedisGrainStorage'
share "gateway: thread channel (dedupe, gaps)" 'ThreadChannel'
share "gateway: relay delivery received, to each thread's observer" 'ThreadFeedConsumer\+<Deliver>|ThreadFeedConsumer::Deliver'
share "gateway: hand a thread's batch to its viewers" 'ThreadDispatcher::DispatchQueued'
share "gateway: viewer write (SignalR message into the connection's pipe)" 'Viewer\+<Pump>'
share "gateway: WebSocket framing (SignalR transport's send loop)" 'WebSocketsServerTransport\+<StartSending>'
share "gateway: socket send (Kestrel)" 'SocketConnection\+<DoSend>'
share "Orleans serialization" 'Orleans.Serialization\]'
share "socket sends and receives (managed)" 'System.Net.Sockets\].*Socket.*(Send|Receive)'
share "thread pool dispatch" 'ThreadPoolWorkQueue::Dispatch'
share "thread pool idle spinning" 'LowLevelLifoSemaphore::Wait'
share "timers" 'TimerQueue::FireNextTimers'
dsos=$(perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | grep -v '^#')
dso() { row "$1" "$( (grep -F "$2" <<< "$dsos" || true) | awk '{gsub("%","",$1); s += $1} END {printf "%.1f", s + 0}')"; }
dso "own time in the JIT compiler (libclrjit.so)" 'libclrjit.so'
dso "own time in the runtime (libcoreclr.so: GC, stubs, locks)" 'libcoreclr.so'
dso "own time in the kernel" '[kernel.kallsyms]'
echo
echo "${total:-}"
