using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Smoke;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>Revocation on a real cluster: the access change reaches every gateway process through the thread's feed.</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class RevocationAcrossGatewaysTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_removed_member_is_taken_out_of_the_thread_on_every_gateway_within_seconds()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var id = Guid.NewGuid().ToString("N")[..10];
        var (threadId, owner, removed) = ("t-" + id, "owner-" + id, "bob-" + id);
        await fixture.Cluster.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, owner, [removed]));

        // The removed user has a tab on each gateway; the owner watches on each too.
        var tabs = new List<Watcher>();
        foreach (var gateway in fixture.GatewayUrls)
        {
            tabs.Add(await Watcher.Join(gateway, ViewerToken.Sign(fixture.SigningKey, removed, TimeSpan.FromHours(1)), threadId));
        }

        var owners = new List<Watcher>();
        foreach (var gateway in fixture.GatewayUrls)
        {
            owners.Add(await Watcher.Join(gateway, ViewerToken.Sign(fixture.SigningKey, owner, TimeSpan.FromHours(1)), threadId));
        }

        try
        {
            var producer = fixture.Cluster.Producer;
            var streamId = await producer.StartStreamAsync(threadId, "r-" + id);
            for (var i = 1; i <= 5; i++)
            {
                await producer.StreamTokenAsync(streamId, $"before{i} ");
            }

            await Eventually.True(() => Task.FromResult(tabs.Concat(owners).All(w => w.Tokens.Count == 5)), because: "everyone sees the first tokens");

            var changeStarted = Stopwatch.GetTimestamp();
            using (var http = new HttpClient { BaseAddress = fixture.GatewayUrls[0] })
            {
                http.DefaultRequestHeaders.Add("X-Service-Key", fixture.ServiceKey);
                (await http.PutAsJsonAsync($"/api/v1/threads/{threadId}", new { ownerUserId = owner, memberUserIds = Array.Empty<string>() })).EnsureSuccessStatusCode();
            }

            await Eventually.True(() => Task.FromResult(tabs.All(t => t.RevokedAt is not null)), TimeSpan.FromSeconds(10), "every tab of the removed user was told");
            var told = tabs.Select(t => Stopwatch.GetElapsedTime(changeStarted, t.RevokedAt!.Value).TotalMilliseconds).ToArray();
            var kept = tabs.Select(t => t.Tokens.Count).ToArray();

            for (var i = 1; i <= 5; i++)
            {
                await producer.StreamTokenAsync(streamId, $"after{i} ");
            }

            await producer.EndStreamAsync(streamId);
            await Eventually.True(() => Task.FromResult(owners.All(o => o.Done)), because: "the owner's viewers see the end");

            FaultReport.Write(output, "revocation", $"PUT /api/v1/threads on {fixture.GatewayUrls[0]}; the removed user's tabs on " +
                $"{tabs.Count} gateways were told after {string.Join(" / ", told.Select(ms => $"{ms:0} ms"))} (from the start of the PUT)");
            Assert.All(owners, o => Assert.Equal(10, o.Tokens.Count));
            Assert.Equal(kept, tabs.Select(t => t.Tokens.Count));
            Assert.All(tabs, t => Assert.False(t.Done));
            // The figure is reported above (about 0.3 s); the bound leaves a loaded machine room. The failure it guards
            // against, a gateway that never hears of the change, never tells the tab.
            Assert.All(told, ms => Assert.True(ms < 5000, $"A tab was told {ms:0} ms after the change began."));
        }
        finally
        {
            foreach (var watcher in tabs.Concat(owners))
            {
                await watcher.DisposeAsync();
            }
        }
    }

    /// <summary>A SignalR connection joined to one thread, recording its tokens and when it was told it lost access.</summary>
    private sealed class Watcher(HubConnection connection) : IAsyncDisposable
    {
        private readonly ConcurrentQueue<long> _tokens = new();

        public IReadOnlyCollection<long> Tokens => _tokens;

        public bool Done { get; private set; }

        /// <summary>When it was told (a <see cref="Stopwatch"/> timestamp).</summary>
        public long? RevokedAt { get; private set; }

        public static async Task<Watcher> Join(Uri gateway, string token, string threadId)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(gateway, HubContract.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            var watcher = new Watcher(connection);
            connection.On<TokenMessage>(HubContract.TokenEvent, watcher.Receive);
            connection.On<TokenMessage[]>(HubContract.TokensEvent, batch => Array.ForEach(batch, watcher.Receive));
            connection.On<RevokedMessage>(HubContract.RevokedEvent, _ => watcher.RevokedAt ??= Stopwatch.GetTimestamp());
            await connection.StartAsync();
            await connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);
            return watcher;
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();

        private void Receive(TokenMessage message)
        {
            if (message.Done)
            {
                Done = true;
            }
            else
            {
                _tokens.Enqueue(message.Sequence);
            }
        }
    }
}
