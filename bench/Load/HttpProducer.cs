using System.Collections.Concurrent;
using System.Net.Http.Json;
using ReHome.Producer;

namespace ReHome.Bench.Load;

/// <summary>
/// Produces through the HTTP producer API (<c>/api/v1</c>, <c>X-Service-Key</c>), as a non-.NET backend would:
/// one request in flight per stream, tokens that queue meanwhile go in the next request as <c>tokens</c>, with the
/// explicit <c>sequence</c> of the first so a retry is safe. The baseline server offers the same routes.
/// </summary>
internal sealed class HttpProducer : IProducerDriver
{
    private const int MaxBatch = 256;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, Outbox> _outboxes = new();

    public HttpProducer(string baseAddress, string serviceKey)
    {
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = new Uri(baseAddress),
            Timeout = TimeSpan.FromSeconds(60),
        };
        _http.DefaultRequestHeaders.Add("X-Service-Key", serviceKey);
    }

    public async Task ConfigureThread(string threadId, string ownerUserId, string[] memberUserIds)
    {
        using var response = await _http.PutAsJsonAsync($"/api/v1/threads/{threadId}",
            new { workspaceId = (string?)null, projectId = (string?)null, ownerUserId, memberUserIds });
        await Ensure(response);
    }

    public async Task StartStream(string threadId, string runId, string streamId)
    {
        using var response = await _http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId, streamId });
        await Ensure(response);
        _outboxes[streamId] = new Outbox(this, streamId);
    }

    public Task<long> Send(string streamId, string token) => _outboxes[streamId].Enqueue(token);

    public async Task End(string streamId, long lastSequence)
    {
        await _outboxes[streamId].Drained();
        using var response = await _http.PostAsJsonAsync($"/api/v1/streams/{streamId}/end", new { lastSequence });
        await Ensure(response);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task Ensure(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>One stream's queue: the producer SDK's <see cref="SendQueue{T}"/>, one request in flight.</summary>
    private sealed class Outbox
    {
        private readonly HttpProducer _owner;
        private readonly string _streamId;
        private readonly SendQueue<(string Token, TaskCompletionSource<long> Sent)> _queue;
        private long _last;

        public Outbox(HttpProducer owner, string streamId)
        {
            _owner = owner;
            _streamId = streamId;
            _queue = new(Post, MaxBatch);
        }

        public Task<long> Enqueue(string token)
        {
            var sent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Enqueue((token, sent));
            return sent.Task;
        }

        public Task Drained() => _queue.Drain();

        private async Task Post(List<(string Token, TaskCompletionSource<long> Sent)> batch)
        {
            var first = _last + 1;
            try
            {
                object body = batch.Count == 1
                    ? new { token = batch[0].Token, sequence = first }
                    : new { tokens = batch.ConvertAll(b => b.Token), sequence = first };
                using var response = await _owner._http.PostAsJsonAsync($"/api/v1/streams/{_streamId}/tokens", body);
                await Ensure(response);
                _last = first + batch.Count - 1;
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Sent.TrySetResult(first + i);
                }
            }
            catch (Exception ex)
            {
                foreach (var item in batch)
                {
                    item.Sent.TrySetException(ex);
                }
            }
        }
    }
}
