using System.Net;
using System.Net.Http.Json;
using ReHome.Producer;

namespace ReHome.Smoke;

/// <summary>
/// The smoke command's backend over a gateway's HTTP producer API with a service key (<c>--producer http</c>): no
/// Redis, so it also runs against the embedded gateway. The API cannot tell whether a thread exists; a thread id
/// given on the command line is taken as existing and watched as <c>--user</c>.
/// </summary>
public sealed class SmokeHttp(HttpClient http, bool threadGiven, string? user) : ISmokeBackend
{
    public IStreamProducer Producer { get; } = new HttpStreamProducer(http);

    public static async Task<SmokeHttp> Connect(Uri gateway, string serviceKey, bool threadGiven, string? user, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = gateway };
        http.DefaultRequestHeaders.Add("X-Service-Key", serviceKey);
        var probe = await http.GetAsync("api/v1/streams/smoke-probe-" + Guid.NewGuid().ToString("N"), cancellationToken);
        if (probe.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new InvalidOperationException($"the gateway refused the service key ({(int)probe.StatusCode})");
        }

        return new SmokeHttp(http, threadGiven, user);
    }

    public Task<string?> ThreadOwner(string threadId) =>
        Task.FromResult(threadGiven ? user ?? throw new InvalidOperationException("--user is required with --producer http and a thread id") : null);

    public Task<bool?> RunExists(string runId) => Task.FromResult<bool?>(null);

    public async Task<StreamInfo> StreamInfo(string streamId) =>
        (await http.GetFromJsonAsync<StreamInfo>($"api/v1/streams/{streamId}"))!;

    public async Task<TokenPage> Tokens(string streamId)
    {
        var page = (await http.GetFromJsonAsync<TokenPageMessage>($"api/v1/streams/{streamId}/tokens?after=0"))!;
        StreamEndReason? reason = page.Reason switch
        {
            "completed" => StreamEndReason.Completed,
            "cancelled" => StreamEndReason.Cancelled,
            "abandoned" => StreamEndReason.Abandoned,
            _ => null,
        };
        return new TokenPage(page.StreamId, page.ThreadId, page.RunId, page.FirstSequence, page.Tokens, page.LastSequence,
            page.Complete, page.Done, reason, page.FullResponse, page.Detail);
    }

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
