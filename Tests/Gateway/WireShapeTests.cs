using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// Every field of every hub message must have one wire shape: a browser on JSON and a client on MessagePack see the same
/// values of the same kinds. Both clients here read the messages raw (a JSON tree, MessagePack's primitive objects), not
/// through the .NET types, which would hide a difference in shape.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WireShapeTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Json_and_messagepack_clients_receive_every_hub_message_field_identically()
    {
        var threadId = await gateway.NewThread("alice");
        await using var json = await RawClient.Connect(gateway, messagePack: false);
        await using var messagePack = await RawClient.Connect(gateway, messagePack: true);
        await json.Join(threadId);
        await messagePack.Join(threadId);

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Hallo ");
        await gateway.Producer.StreamTokenAsync(streamId, "Welt 🌍");
        await gateway.Producer.CancelAsync(streamId, "user pressed stop");
        await json.WaitForEvents(3);
        await messagePack.WaitForEvents(3);

        Assert.Equal(json.Events, messagePack.Events);
        Assert.Equal(await json.Join(threadId), await messagePack.Join(threadId));
        Assert.Equal(await json.GetTokens(streamId, 0), await messagePack.GetTokens(streamId, 0));
        Assert.Equal(await json.GetTokens(streamId, 1), await messagePack.GetTokens(streamId, 1));
    }

    [Fact]
    public async Task StartedAt_is_an_iso_8601_utc_string_with_milliseconds_in_both_protocols()
    {
        var threadId = await gateway.NewThread("alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var startedAt = (await gateway.Grains.GetGrain<IStreamGrain>(streamId).GetInfo()).StartedAt;
        await using var json = await RawClient.Connect(gateway, messagePack: false);
        await using var messagePack = await RawClient.Connect(gateway, messagePack: true);

        foreach (var client in new[] { json, messagePack })
        {
            var stream = JsonDocument.Parse(await client.Join(threadId)).RootElement.EnumerateArray().Single();
            Assert.Equal(JsonValueKind.String, stream.GetProperty("startedAt").ValueKind);
            var text = stream.GetProperty("startedAt").GetString()!;
            // What JavaScript's Date.prototype.toISOString() writes, so new Date(s).toISOString() === s in a browser.
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", text);
            var parsed = WireTime.Parse(text);
            Assert.InRange(startedAt - parsed, TimeSpan.Zero, TimeSpan.FromMilliseconds(1) - TimeSpan.FromTicks(1));
        }
    }

    /// <summary>
    /// A hub client that keeps what it receives as canonical JSON text: objects with sorted keys, integers as integers,
    /// and anything that is not a JSON primitive tagged with its .NET type, so it cannot pass for a string.
    /// </summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly HubConnection _connection;
        private readonly ConcurrentQueue<string> _events = new();

        private RawClient(HubConnection connection, bool messagePack)
        {
            _connection = connection;
            foreach (var name in new[] { HubContract.TokenEvent, HubContract.TokensEvent })
            {
                if (messagePack)
                {
                    connection.On<object>(name, payload => Received(name, payload));
                }
                else
                {
                    connection.On<JsonElement>(name, payload => Received(name, payload));
                }
            }
        }

        /// <summary>The events in arrival order; a batch counts once per message in it.</summary>
        public List<string> Events => [.. _events];

        public static async Task<RawClient> Connect(GatewayFixture gateway, bool messagePack)
        {
            var client = new RawClient(gateway.Connection("alice", b =>
            {
                if (messagePack)
                {
                    b.AddMessagePackProtocol();
                }
            }), messagePack);
            await client._connection.StartAsync();
            return client;
        }

        public async Task<string> Join(string threadId) => Canonical(await _connection.InvokeAsync<object>(HubContract.JoinThread, threadId));

        public async Task<string> GetTokens(string streamId, long after) =>
            Canonical(await _connection.InvokeAsync<object>(HubContract.GetTokens, streamId, after));

        public Task WaitForEvents(int count) => Eventually.True(() => Task.FromResult(_events.Count >= count), because: $"{count} events");

        private void Received(string name, object? payload)
        {
            // A batch is the same messages in one array; split it, so batching does not make the two clients differ.
            if (name == HubContract.TokensEvent)
            {
                foreach (var item in Items(payload))
                {
                    _events.Enqueue(Canonical(item));
                }
            }
            else
            {
                _events.Enqueue(Canonical(payload));
            }
        }

        private static IEnumerable<object?> Items(object? array) => array switch
        {
            JsonElement { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Cast<object?>(),
            IList list => list.Cast<object?>(),
            _ => throw new InvalidOperationException($"Not an array: {array}"),
        };

        private static string Canonical(object? value) => JsonSerializer.Serialize(Tree(value));

        private static object? Tree(object? value) => value switch
        {
            null => null,
            JsonElement e => e.ValueKind switch
            {
                JsonValueKind.Object => new SortedDictionary<string, object?>(
                    e.EnumerateObject().ToDictionary(p => p.Name, p => Tree(p.Value)), StringComparer.Ordinal),
                JsonValueKind.Array => e.EnumerateArray().Select(i => Tree(i)).ToList(),
                JsonValueKind.String => e.GetString(),
                JsonValueKind.Number => e.TryGetInt64(out var n) ? n : e.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            },
            string s => s,
            bool b => b,
            sbyte or byte or short or ushort or int or uint or long => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            ulong u => (double)u,
            float or double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            IDictionary map => new SortedDictionary<string, object?>(
                map.Keys.Cast<object>().ToDictionary(k => (string)k, k => Tree(map[k])), StringComparer.Ordinal),
            IList list => list.Cast<object?>().Select(Tree).ToList(),
            _ => $"<{value.GetType().Name}: {value}>",
        };

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
    }
}
