using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Operations;

/// <summary>One trace follows a token from the backend's HTTP append to the hub send that carries it to browsers.</summary>
public sealed class TracingTests(TracingFixture gateway) : IClassFixture<TracingFixture>
{
    [Fact]
    public async Task An_http_append_its_grain_call_the_publish_the_delivery_and_the_hub_send_are_one_span_chain()
    {
        var threadId = await gateway.NewThread("trace-viewer");
        await using var viewer = gateway.Connection("trace-viewer");
        var received = new TaskCompletionSource<TokenMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        viewer.On<TokenMessage>(HubContract.TokenEvent, message => received.TrySetResult(message));
        await viewer.StartAsync();
        await viewer.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);
        using var http = gateway.ServiceClient();
        var started = await http.PostAsJsonAsync("/api/v1/streams", new { threadId, runId = "r-" + Guid.NewGuid().ToString("N") });
        var streamId = (await started.Content.ReadFromJsonAsync<StreamInfoMessage>())!.StreamId;

        (await http.PostAsJsonAsync($"/api/v1/streams/{streamId}/tokens", new { token = "traced" })).EnsureSuccessStatusCode();
        Assert.Equal("traced", (await received.Task.WaitAsync(TimeSpan.FromSeconds(10))).Token);

        // The chain, each span found under the one before it in the same trace.
        var spans = await Eventually.Get(() => Task.FromResult(gateway.Spans.Snapshot()),
            all => all.Any(s => s.OperationName == "rehome.hub.send" && Tag(s, "rehome.group")?.Contains(threadId) == true),
            TimeSpan.FromSeconds(10), "the hub send span ended");
        var request = spans.Single(s => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore"
            && Tag(s, "url.path") == $"/api/v1/streams/{streamId}/tokens");
        var trace = spans.Where(s => s.TraceId == request.TraceId).ToArray();
        var call = Single(trace, s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Client && s.DisplayName.Contains("AppendMany"), "the grain call (client side)");
        var grain = Single(trace, s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Server && s.DisplayName.Contains("AppendMany"), "the grain call (grain side)");
        var publish = Single(trace, s => s.OperationName == "rehome.publish", "the stream publish");
        var delivery = Single(trace, s => s.OperationName == "rehome.deliver", "the gateway's delivery");
        var send = Single(trace, s => s.OperationName == "rehome.hub.send", "the hub send");

        AssertUnder(request, call, trace);
        Assert.Equal(call.SpanId, grain.ParentSpanId);
        AssertUnder(grain, publish, trace);
        Assert.Equal(publish.SpanId, delivery.ParentSpanId);
        Assert.Equal(delivery.SpanId, send.ParentSpanId);
        Assert.Equal(streamId, Tag(publish, "rehome.stream_id"));
        Assert.Equal(streamId, Tag(delivery, "rehome.stream_id"));
        Assert.Equal("1", Tag(delivery, "rehome.first_sequence"));

        // The same trace left through OTLP/HTTP to the receiver: protobuf carries names as UTF-8 and ids as raw bytes.
        var traceId = new byte[16];
        request.TraceId.CopyTo(traceId);
        await Eventually.True(() => Task.FromResult(gateway.OtlpExports.Any(body => Contains(body, traceId) && Contains(body, "rehome.deliver"u8.ToArray()))),
            TimeSpan.FromSeconds(15), "the OTLP receiver got the trace with the delivery span");
        Assert.Contains(gateway.OtlpExports, body => Contains(body, "rehome-tracing-test"u8.ToArray()));
        await viewer.StopAsync();
    }

    private static Activity Single(Activity[] trace, Func<Activity, bool> match, string what)
    {
        var found = trace.Where(match).ToArray();
        Assert.True(found.Length == 1, $"Expected one span for {what} in the trace, found {found.Length}. The trace: " +
            string.Join(", ", trace.Select(s => $"{s.Source.Name}/{s.DisplayName}/{s.Kind}")));
        return found[0];
    }

    /// <summary><paramref name="child"/> descends from <paramref name="ancestor"/> through spans of the same trace.</summary>
    private static void AssertUnder(Activity ancestor, Activity child, Activity[] trace)
    {
        var bySpan = trace.ToDictionary(s => s.SpanId);
        for (var parent = child.ParentSpanId; bySpan.TryGetValue(parent, out var span); parent = span.ParentSpanId)
        {
            if (span.SpanId == ancestor.SpanId)
            {
                return;
            }
        }

        Assert.Fail($"{child.DisplayName} does not descend from {ancestor.DisplayName}.");
    }

    private static string? Tag(Activity span, string name) => span.TagObjects.FirstOrDefault(t => t.Key == name).Value?.ToString();

    private static bool Contains(byte[] body, byte[] part) => body.AsSpan().IndexOf(part) >= 0;

    private sealed record StreamInfoMessage(string StreamId);
}
