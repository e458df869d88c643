using System.Net;
using System.Net.Http.Json;
using ReHome.Producer;

namespace ReHome.Smoke;

/// <summary>
/// <see cref="IStreamProducer"/> over the gateway's HTTP producer API, as a backend that is not .NET calls it: every
/// token carries its sequence number, numbered in call order, and one stream's requests go one at a time.
/// </summary>
public sealed class HttpStreamProducer(HttpClient http) : IStreamProducer
{
    private readonly Dictionary<string, (long Next, Task Tail)> _streams = [];

    public async Task ConfigureThreadAsync(string threadId, ThreadAccess access, CancellationToken cancellationToken = default) =>
        await Send(HttpMethod.Put, $"api/v1/threads/{threadId}", new
        {
            workspaceId = access.WorkspaceId,
            projectId = access.ProjectId,
            ownerUserId = access.OwnerUserId,
            memberUserIds = access.MemberUserIds,
        }, cancellationToken);

    public async Task<string> StartStreamAsync(string threadId, string runId, string? streamId = null, CancellationToken cancellationToken = default)
    {
        var response = await Send(HttpMethod.Post, "api/v1/streams", new { threadId, runId, streamId }, cancellationToken);
        var info = (await response.Content.ReadFromJsonAsync<StreamInfo>(SmokeJson.Options, cancellationToken))!;
        lock (_streams)
        {
            _streams[info.StreamId] = (info.LastSequence + 1, Task.CompletedTask);
        }

        return info.StreamId;
    }

    public Task<long> StreamTokenAsync(string streamId, string token, CancellationToken cancellationToken = default)
    {
        lock (_streams)
        {
            var (next, tail) = _streams.TryGetValue(streamId, out var known) ? known : (1, Task.CompletedTask);
            var call = Append(tail, streamId, next, token);
            _streams[streamId] = (next + 1, call);
            return call;
        }
    }

    public async Task<bool> EndStreamAsync(string streamId, string? fullResponse = null, CancellationToken cancellationToken = default)
    {
        Task tail;
        long last;
        lock (_streams)
        {
            (last, tail) = _streams.TryGetValue(streamId, out var known) ? (known.Next - 1, known.Tail) : (0, Task.CompletedTask);
        }

        await tail;
        var (response, attempts) = await SendCounting(HttpMethod.Post, $"api/v1/streams/{streamId}/end",
            new { fullResponse, lastSequence = last > 0 ? last : (long?)null }, cancellationToken);
        if ((await response.Content.ReadFromJsonAsync<EndAnswer>(cancellationToken))!.Ended)
        {
            return true;
        }

        // A retry that finds the stream ended may be our own first attempt having landed (the gateway answered 503
        // while the end was stored), or another end that came first: the stored reason tells which, as in the SDK.
        return attempts > 1 && (await ReadInfo(streamId, cancellationToken)).Reason == StreamEndReason.Completed;
    }

    /// <summary>Retried like the end: the storage that made the end's answer a 503 may not answer yet either.</summary>
    private async Task<StreamInfo> ReadInfo(string streamId, CancellationToken cancellationToken)
    {
        var response = await Send(HttpMethod.Get, $"api/v1/streams/{streamId}", body: null, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<StreamInfo>(SmokeJson.Options, cancellationToken))!;
    }

    public async Task<bool> CancelAsync(string streamId, string reason, CancellationToken cancellationToken = default)
    {
        var response = await Send(HttpMethod.Post, $"api/v1/streams/{streamId}/cancel", new { reason }, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<CancelAnswer>(cancellationToken))!.Cancelled;
    }

    private async Task<long> Append(Task previous, string streamId, long sequence, string token)
    {
        await previous.ContinueWith(_ => { }, TaskScheduler.Default);
        await Send(HttpMethod.Post, $"api/v1/streams/{streamId}/tokens", new { token, sequence }, CancellationToken.None);
        return sequence;
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        (await SendCounting(method, path, body, cancellationToken)).Response;

    /// <summary>One request, sent again (same body, so the same numbers) while the gateway answers 429, 502–504 or cannot be reached.</summary>
    private async Task<(HttpResponseMessage Response, int Attempts)> SendCounting(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
                var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return (response, attempt);
                }

                var transient = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                    or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
                if (!transient || attempt == 5)
                {
                    // With its status, so the catch below does not take an answer for an unreachable gateway.
                    throw new HttpRequestException(
                        $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}",
                        null, response.StatusCode);
                }
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null && attempt < 5)
            {
                // Not reached: retry below.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
        }
    }

    private sealed record EndAnswer(bool Ended);

    private sealed record CancelAnswer(bool Cancelled);
}
