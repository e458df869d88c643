using System.Collections.Concurrent;
using System.Diagnostics;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// A client (a backend's producer SDK, a gateway) must send through a restarted silo again within seconds. An Orleans
/// client keeps away from a gateway that said it was stopping until its next gateway-list refresh, once a minute by
/// default; in a rolling upgrade every call then crowds onto the silos not yet restarted, and at the last one the
/// client has none left, falls back to every gateway it knows, the stopping one included, and every stream waits out a
/// timeout there.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class ClientGatewayListTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_client_lists_a_restarted_silo_as_a_live_gateway_again_within_seconds_of_its_return()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var silo = fixture.Silos[0];
        var gatewayPort = fixture.GatewayPortOf(silo);
        using var updates = new GatewayListUpdates();

        // Gone for longer than a refresh period, so every client of the cluster reads a list without it.
        await silo.Terminate(TimeSpan.FromSeconds(60));
        await Task.Delay(ClientBuilderExtensions.RecommendedGatewayListRefreshPeriod + TimeSpan.FromSeconds(1));
        await fixture.EnsureHealthy();
        var readyAt = Stopwatch.GetTimestamp();

        // Every in-process client of this cluster (the fixture's backend) must list it as live again; with Orleans' own
        // minute none would have refreshed while it was gone, or listed it again in time.
        var seen = await Eventually.Get(() => Task.FromResult(updates.For(gatewayPort, fixture.GatewayPorts)),
            clients => clients.LeftOut > 0 && clients.Back == clients.LeftOut,
            TimeSpan.FromSeconds(10),
            $"every client that left out {silo.Name}'s gateway lists it again");

        output.WriteLine($"{seen.LeftOut} client(s) left out {silo.Name} while it was gone and listed it again " +
            $"{Stopwatch.GetElapsedTime(readyAt).TotalSeconds:0.0} s after it was ready");
    }

    private sealed record ClientsSeen(int LeftOut, int Back);

    /// <summary>
    /// The live gateways of each Orleans client in this process after every refresh of its gateway list, as Orleans
    /// reports them on its "Orleans.Gateway" diagnostic listener (the event's <c>Source</c> is the client's gateway
    /// manager, <c>LiveGateways</c> the gateways it sends through).
    /// </summary>
    private sealed class GatewayListUpdates : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly ConcurrentQueue<(object Client, int[] LivePorts)> _updates = new();
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];
        private readonly IDisposable _listeners;

        public GatewayListUpdates() => _listeners = DiagnosticListener.AllListeners.Subscribe(this);

        /// <summary>Set when Orleans reported an update this test cannot read.</summary>
        public string? Unreadable { get; private set; }

        /// <summary>
        /// Of the clients of the cluster with <paramref name="clusterPorts"/> (other clusters' clients in this process
        /// never list those), how many lists lacked the gateway at some point, and how many of them list it again.
        /// </summary>
        public ClientsSeen For(int gatewayPort, IReadOnlySet<int> clusterPorts)
        {
            if (Unreadable is not null)
            {
                throw new InvalidOperationException(Unreadable);
            }

            var leftOut = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var back = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var ofCluster = _updates.Where(u => u.LivePorts.Any(clusterPorts.Contains)).Select(u => u.Client)
                .ToHashSet(ReferenceEqualityComparer.Instance);
            foreach (var (client, live) in _updates.Where(u => ofCluster.Contains(u.Client)))
            {
                if (!live.Contains(gatewayPort))
                {
                    leftOut.Add(client);
                    back.Remove(client);
                }
                else if (leftOut.Contains(client))
                {
                    back.Add(client);
                }
            }

            return new ClientsSeen(leftOut.Count, back.Count);
        }

        void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Orleans.Gateway")
            {
                _subscriptions.Add(listener.Subscribe(this, name => name == "GatewayListUpdated"));
            }
        }

        void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> update)
        {
            // Never throw here: this runs inside the client's refresh.
            var type = update.Value?.GetType();
            var client = type?.GetField("Source")?.GetValue(update.Value);
            if (client is null || type!.GetField("LiveGateways")?.GetValue(update.Value) is not IEnumerable<SiloAddress> live)
            {
                Unreadable = $"GatewayListUpdated ({type}) no longer has the fields Source and LiveGateways";
                return;
            }

            _updates.Enqueue((client, [.. live.Select(gateway => gateway.Endpoint.Port)]));
        }

        void IObserver<DiagnosticListener>.OnCompleted()
        {
        }

        void IObserver<DiagnosticListener>.OnError(Exception error)
        {
        }

        void IObserver<KeyValuePair<string, object?>>.OnCompleted()
        {
        }

        void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
        {
        }

        public void Dispose()
        {
            _listeners.Dispose();
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }
        }
    }
}
