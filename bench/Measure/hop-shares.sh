#!/usr/bin/env bash
# Where a process's CPU went, by stage of the token path: the inclusive share of perf samples (with callees) of the
# frames that start each stage. Run on a profile recorded by `bench -- light --profile silo,gateway` (best with
# `--env DOTNET_ReadyToRun=0`, so precompiled framework frames have names too):
#   bench/Measure/hop-shares.sh bench/results/<run>/rehome-silo-*.perf.data
# Stages nest (a grain call's receipt includes the grain's work), so shares do not add up to 100 %.
set -euo pipefail
data="$1"
report=$(perf report -i "$data" --children --sort sym --stdio -g none 2>/dev/null | grep '%' | grep -v '^#')
total=$(perf report -i "$data" --stdio --header-only 2>/dev/null | grep -m1 'sample duration' || true)
share() { # label, then an extended regex matched against frame names; prints the largest inclusive share
  local best
  best=$( (grep -E "$2" <<< "$report" || true) | awk '{gsub("%","",$1); if ($1 > m) m = $1} END {printf "%.1f", m + 0}')
  printf '| %s | %s %% |\n' "$1" "$best"
}
echo "| stage ($(basename "$data")) | inclusive share of samples |"
echo "|---|---:|"
share "receive grain calls from the network (Orleans connections)" 'Orleans.Runtime.Messaging.Connection.*ProcessIncoming|Connection\+<RunInternal>'
share "stream grain: AppendMany (numbering, history, rate)" 'StreamGrain::AppendMany|StreamGrain::Append\('
share "publisher: batch and publish a thread event" 'ThreadEventPublisher\+<Pump>|ThreadEventPublisher\+<PublishWithRetry>'
share "feed writer: enqueue on the queue grain" 'ThreadFeedWriter|ThreadFeedAdapterFactory::QueueMessageBatchAsync'
share "queue grain: Enqueue / Dequeue" 'ThreadFeedQueueGrain'
share "pulling agent: read the queue and cache" 'PersistentStreamPullingAgent\+<ReadFromQueue>|PersistentStreamPullingAgent\+<PumpQueue>'
share "pulling agent: deliver to subscribers" 'PersistentStreamPullingAgent\+<RunConsumerCursor>'
share "checkpoint: chunks and head to storage" 'StreamGrain\+<WriteAfter>|TokenChunks|RedisGrainStorage'
share "gateway: thread channel (dedupe, gaps)" 'ThreadChannel'
share "gateway: SignalR send" 'GroupSender|HubLifetimeManager|DefaultHubLifetimeManager'
share "Orleans serialization" 'Orleans.Serialization\]'
share "socket sends and receives (managed)" 'System.Net.Sockets\].*Socket.*(Send|Receive)'
share "thread pool dispatch" 'ThreadPoolWorkQueue::Dispatch'
share "thread pool idle spinning" 'LowLevelLifoSemaphore::Wait'
share "timers" 'TimerQueue::FireNextTimers'
dsos=$(perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | grep -v '^#')
dso() { printf '| %s | %s %% |\n' "$1" "$( (grep -F "$2" <<< "$dsos" || true) | awk '{gsub("%","",$1); s += $1} END {printf "%.1f", s + 0}')"; }
dso "own time in the JIT compiler (libclrjit.so)" 'libclrjit.so'
dso "own time in the runtime (libcoreclr.so: GC, stubs, locks)" 'libcoreclr.so'
dso "own time in the kernel" '[kernel.kallsyms]'
echo
echo "${total:-}"
