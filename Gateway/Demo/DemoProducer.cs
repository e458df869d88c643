using ReHome.Producer;

namespace ReHome.Gateway.Demo;

/// <summary>Streams the demo answer through the producer SDK at about 50 tokens per second, like a model would.</summary>
internal sealed partial class DemoProducer(IStreamProducer producer, IHostApplicationLifetime lifetime, ILogger<DemoProducer> logger)
{
    public const int TokensPerSecond = 50;

    public async Task<string> Start(string threadId)
    {
        var streamId = await producer.StartStreamAsync(threadId, "demo-run-" + Guid.NewGuid().ToString("N"));
        _ = Task.Run(() => Produce(streamId, lifetime.ApplicationStopping));
        return streamId;
    }

    private async Task Produce(string streamId, CancellationToken stopping)
    {
        try
        {
            var random = new Random();
            foreach (var token in DemoText.Tokens())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1000.0 / TokensPerSecond * (0.5 + random.NextDouble())), stopping);
                await producer.StreamTokenAsync(streamId, token, stopping);
            }

            await producer.EndStreamAsync(streamId, DemoText.Answer, stopping);
        }
        catch (StreamCancelledException stopped)
        {
            // A viewer pressed stop: what a model's backend does too, it stops generating.
            LogDemoStopped(streamId, stopped.Detail);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDemoFailed(ex, streamId);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The demo stream {StreamId} was stopped: {Detail}")]
    private partial void LogDemoStopped(string streamId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The demo stream {StreamId} failed.")]
    private partial void LogDemoFailed(Exception exception, string streamId);
}
