using System.Text.Json;
using Xunit.Abstractions;

namespace ReHome.Tests.Pusher;

/// <summary>
/// <c>examples/laravel</c>'s StreamingService, run by php-cli against the gateway: its walkthrough reaches an Echo
/// client in order, and each refusal becomes its typed exception.
/// </summary>
[Collection(PusherCollection.Name)]
public sealed class PhpProducerTests(PusherGatewayFixture gateway, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_php_walkthrough_streams_to_an_Echo_client_in_order_and_a_second_endStream_returns_false()
    {
        gateway.App.SkipIfMissing();
        var threadId = "php-" + Guid.NewGuid().ToString("N");
        gateway.App.Allow(threadId, "alice");
        await using var echo = NodeEcho.Start(gateway, "alice", threadId, output);
        await echo.WaitFor("subscribed");

        var (exit, text, errors) = await PhpProcess.Run(gateway, "examples/laravel/quickstart.php", threadId);
        output.WriteLine(text + errors);

        Assert.Equal(0, exit);
        Assert.Contains("first endStream: true", text);
        Assert.Contains("second endStream: false", text);
        var streamId = System.Text.RegularExpressions.Regex.Match(text, "to stream ([0-9a-f]+)").Groups[1].Value;
        var done = await echo.WaitForDone(streamId);
        var events = echo.Events.Where(e => e.GetProperty("streamId").GetString() == streamId && !e.GetProperty("done").GetBoolean()).ToArray();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), events.Select(e => e.GetProperty("sequence").GetInt64()));
        var answer = "ReHome streams this answer to every viewer of the thread, one token at a time, in order, with no gaps.";
        Assert.Equal(answer, string.Concat(events.Select(e => e.GetProperty("token").GetString())));
        Assert.Equal(answer, done.GetProperty("event").GetProperty("full_response").GetString());
        Assert.Contains("read back: " + answer, text);
    }

    [SkippableFact]
    public async Task Each_refusal_becomes_its_typed_exception_and_numbering_survives_a_new_process()
    {
        gateway.App.SkipIfMissing();

        var (exit, text, errors) = await PhpProcess.Run(gateway, "Tests/Pusher/php/producer-errors.php");
        output.WriteLine(text + errors);
        Assert.Equal(0, exit);
        var results = JsonDocument.Parse(text).RootElement;

        AssertRefusal(results, "not_found", "StreamNotFoundException", "stream_not_found", 404);
        AssertRefusal(results, "after_end", "StreamEndedException", "stream_ended", 409);
        AssertRefusal(results, "after_cancel", "StreamCancelledException", "stream_cancelled", 409);
        AssertRefusal(results, "too_long", "InvalidRequestException", "invalid_request", 400);
        Assert.Equal("tokens[0]", results.GetProperty("too_long").GetProperty("field").GetString());
        AssertRefusal(results, "bad_id", "InvalidRequestException", "invalid_request", 400);
        Assert.Equal("runId", results.GetProperty("bad_id").GetProperty("field").GetString());
        AssertRefusal(results, "wrong_key", "UnauthorizedException", "unauthorized", 401);
        AssertRefusal(results, "unreachable", "UnavailableException", "unavailable", 0);
        Assert.Equal(3, results.GetProperty("numbering_continues").GetProperty("returned").GetInt64());
        Assert.Equal("Hello, world", results.GetProperty("answer").GetProperty("returned").GetString());
        Assert.Equal("model timed out", results.GetProperty("failing_model").GetProperty("returned").GetString());
    }

    [SkippableFact]
    public async Task Every_php_file_of_the_example_is_valid_php()
    {
        gateway.App.SkipIfMissing();
        var root = Path.Combine(Infrastructure.GatewayFixture.SolutionDirectory(), "examples", "laravel");
        var files = Directory.GetFiles(root, "*.php", SearchOption.AllDirectories);
        Assert.NotEmpty(files);

        foreach (var file in files)
        {
            var (exit, text, errors) = await PhpProcess.Run(gateway, "-l", file);
            Assert.True(exit == 0, $"php -l {file}: {text}{errors}");
        }
    }

    private static void AssertRefusal(JsonElement results, string name, string exception, string code, int status)
    {
        var result = results.GetProperty(name);
        Assert.True(result.TryGetProperty("class", out var thrown), $"{name} returned {result} instead of throwing {exception}");
        Assert.Equal((exception, code, status), (thrown.GetString(), result.GetProperty("code").GetString(), result.GetProperty("status").GetInt32()));
    }
}
