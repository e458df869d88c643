using System.Collections.Concurrent;
using System.Net.Http.Json;

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

    private sealed class Outbox(HttpProducer owner, string streamId)
    {
        private readonly Queue<(string Token, TaskCompletionSource<long> Sent)> _queue = new();
        private Task _sender = Task.CompletedTask;
        private long _last;

        public Task<long> Enqueue(string token)
        {
            var sent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_queue)
            {
                _queue.Enqueue((token, sent));
                if (_sender.IsCompleted)
                {
                    _sender = Task.Run(Pump);
                }
            }

            return sent.Task;
        }

        public async Task Drained()
        {
            while (true)
            {
                Task sender;
                lock (_queue)
                {
                    sender = _sender;
                    if (sender.IsCompleted && _queue.Count == 0)
                    {
                        return;
                    }
                }

                await sender;
            }
        }

        private async Task Pump()
        {
            while (true)
            {
                List<(string Token, TaskCompletionSource<long> Sent)> batch = [];
                lock (_queue)
                {
                    while (batch.Count < MaxBatch && _queue.TryDequeue(out var item))
                    {
                        batch.Add(item);
                    }

                    if (batch.Count == 0)
                    {
                        return;
                    }
                }

                var first = _last + 1;
                try
                {
                    object body = batch.Count == 1
                        ? new { token = batch[0].Token, sequence = first }
                        : new { tokens = batch.ConvertAll(b => b.Token), sequence = first };
                    using var response = await owner._http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", body);
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
}
