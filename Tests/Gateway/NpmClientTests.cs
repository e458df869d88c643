using System.Text.Json;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>The hub's answers as the npm <c>@microsoft/signalr</c> client, under Node.js, sees them.</summary>
[Collection(GatewayCollection.Name)]
public sealed class NpmClientTests(GatewayFixture gateway)
{
    [SkippableFact]
    public async Task Wrong_arguments_unknown_methods_and_out_of_range_sequences_are_invalid_request()
    {
        var result = await NpmSignalRClient.Run(gateway, """
            const c = await connect('alice');
            const answers = {};
            const call = async (name, method, ...args) => {
              try { await c.invoke(method, ...args); answers[name] = 'accepted'; } catch (e) { answers[name] = serverMessage(e); }
            };
            await call('string for a number', 'GetTokens', 's-1', 'five');
            await call('number as a string', 'GetTokens', 's-1', '5');
            await call('too few', 'GetTokens', 's-1');
            await call('too many', 'JoinThread', 't-1', 't-2');
            await call('object for a string', 'JoinThread', { id: 't-1' });
            await call('null for a number', 'GetTokens', 's-1', null);
            await call('unknown method', 'DropAllThreads');
            await call('past 2^53', 'GetTokens', env.STREAM, Number.MAX_SAFE_INTEGER + 1);
            await call('2^63', 'GetTokens', env.STREAM, 2 ** 63);
            await call('negative', 'GetTokens', env.STREAM, -1);
            await call('fraction', 'GetTokens', env.STREAM, 1.5);
            await c.stop();
            return answers;
            """, await Env(("alice", TimeSpan.FromMinutes(5))));

        foreach (var answer in result.EnumerateObject())
        {
            Assert.True(answer.Value.GetString()!.StartsWith("invalid_request: ", StringComparison.Ordinal), $"{answer.Name}: {answer.Value}");
        }

        Assert.Equal(11, result.EnumerateObject().Count());
    }

    [SkippableFact]
    public async Task Unknown_and_foreign_ids_get_the_same_answers()
    {
        var alicesThread = await gateway.NewThread("alice");
        var foreignStream = await gateway.Producer.StartStreamAsync(alicesThread, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(foreignStream, "secret");

        var result = await NpmSignalRClient.Run(gateway, """
            const c = await connect('mallory');
            const answer = async (...args) => { try { await c.invoke(...args); return 'accepted'; } catch (e) { return serverMessage(e); } };
            const result = {
              foreignStream: (await answer('GetTokens', env.FOREIGN_STREAM, 0)).replace(env.FOREIGN_STREAM, '{id}'),
              unknownStream: (await answer('GetTokens', 's-unknown-' + env.NONCE, 0)).replace('s-unknown-' + env.NONCE, '{id}'),
              foreignThread: (await answer('JoinThread', env.FOREIGN_THREAD)).replace(env.FOREIGN_THREAD, '{id}'),
              unknownThread: (await answer('JoinThread', 't-unknown-' + env.NONCE)).replace('t-unknown-' + env.NONCE, '{id}'),
            };
            await c.stop();
            return result;
            """, await Env(("mallory", TimeSpan.FromMinutes(5)),
                ("FOREIGN_STREAM", foreignStream), ("FOREIGN_THREAD", alicesThread), ("NONCE", Guid.NewGuid().ToString("N"))));

        Assert.StartsWith("stream_not_found: ", result.GetProperty("foreignStream").GetString());
        Assert.Equal(result.GetProperty("foreignStream").GetString(), result.GetProperty("unknownStream").GetString());
        Assert.StartsWith("forbidden: ", result.GetProperty("foreignThread").GetString());
        Assert.Equal(result.GetProperty("foreignThread").GetString(), result.GetProperty("unknownThread").GetString());
    }

    [SkippableFact]
    public async Task A_connection_stops_receiving_soon_after_its_token_expires()
    {
        var threadId = await gateway.NewThread("alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        // Long enough for node to start and connect on a loaded machine before the token expires.
        var env = await Env(("alice", TimeSpan.FromSeconds(10)), ("THREAD", threadId));
        var expiresAt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(
            JsonSerializer.Deserialize<Dictionary<string, string>>(env["TOKENS"])!["alice"]).ValidTo;

        using var producing = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            for (var i = 1; !producing.IsCancellationRequested; i++)
            {
                await gateway.Producer.StreamTokenAsync(streamId, $"t{i} ");
                await Task.Delay(50, CancellationToken.None); // a model's pace
            }
        });
        var result = await NpmSignalRClient.Run(gateway, """
            const received = [];
            const c = await connect('alice');
            c.on('agent.thread.token', () => received.push(Date.now()));
            c.on('agent.thread.tokens', batch => batch.forEach(() => received.push(Date.now())));
            const closed = new Promise(resolve => c.onclose(error => resolve({ at: Date.now(), error: String(error?.message ?? '') })));
            await c.invoke('JoinThread', env.THREAD);
            const close = await Promise.race([closed, new Promise(r => setTimeout(() => r(null), 20000))]);
            return { close, count: received.length, last: received.at(-1) ?? null };
            """, env);
        await producing.CancelAsync();
        await producer;

        Assert.NotEqual(JsonValueKind.Null, result.GetProperty("close").ValueKind);
        var closedAt = DateTimeOffset.FromUnixTimeMilliseconds(result.GetProperty("close").GetProperty("at").GetInt64()).UtcDateTime;
        var last = DateTimeOffset.FromUnixTimeMilliseconds(result.GetProperty("last").GetInt64()).UtcDateTime;
        Assert.True(result.GetProperty("count").GetInt32() > 0);
        Assert.InRange(closedAt - expiresAt, TimeSpan.FromSeconds(-1), TokenExpiryTests.ExpiryBound);
        Assert.True(last <= expiresAt + TokenExpiryTests.ExpiryBound, $"A token arrived at {last:HH:mm:ss.fff}, exp was {expiresAt:HH:mm:ss.fff}.");
    }

    /// <summary>Tokens (name → lifetime) signed now, and plain settings, as the script's environment.</summary>
    private Task<Dictionary<string, string>> Env(params (string Name, object Value)[] entries)
    {
        var tokens = entries.Where(e => e.Value is TimeSpan).ToDictionary(e => e.Name, e => gateway.TokenFor(e.Name, (TimeSpan)e.Value));
        var env = entries.Where(e => e.Value is string).ToDictionary(e => e.Name, e => (string)e.Value);
        var (key, value) = NpmSignalRClient.Tokens(tokens);
        env[key] = value;
        return Task.FromResult(env);
    }
}
