using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;

namespace ReHome.Smoke;

/// <summary>
/// One smoke stream: make sure the thread exists, watch it through a gateway, stream a message token by token
/// through the producer SDK, end it, and check what the viewer saw and what the stream's state says.
/// </summary>
public sealed class SmokeRun(ISmokeBackend cluster, SmokeOptions options, TextWriter output, int index)
{
    /// <summary>Multi-byte text on purpose: emoji (surrogate pairs), CJK and accents must arrive intact.</summary>
    private static readonly string[] Words =
        ["Smoke ", "test: ", "tokens ", "arrive ", "in ", "order ", "🚀 ", "ünïcödé ", "漢字 ", "かな ", "👩‍💻 ", "done. "];

    private string Prefix => options.Concurrency > 1 ? $"[{index}] " : "";

    private string Suffix(string? id) => id is null ? "smoke-" + Guid.NewGuid().ToString("N")[..12]
        : options.Concurrency > 1 ? $"{id}-{index}" : id;

    /// <summary>True when every check passed; each check prints one line.</summary>
    public async Task<bool> Run(CancellationToken cancellationToken)
    {
        var threadId = Suffix(options.ThreadId);
        var runId = Suffix(options.RunId);
        var streamId = Suffix(options.StreamId);
        var step = "thread";
        try
        {
            var user = await EnsureThread(threadId);

            step = "viewer";
            var token = options.Token ?? ViewerToken.Sign(options.SigningKey!, user, TimeSpan.FromHours(1), options.Issuer, options.Audience);
            await using var viewer = await ResumingViewer.Connect(options.Gateways, () => token, index, cancellationToken);
            await viewer.Join(threadId, cancellationToken);
            Pass($"viewer joined thread {threadId} as {user} via {viewer.Gateway}");

            step = "start";
            var runExisted = await cluster.RunExists(runId);
            await cluster.Producer.StartStreamAsync(threadId, runId, streamId, cancellationToken);
            var before = await cluster.StreamInfo(streamId);
            if (before.LastSequence > 0 || before.Done)
            {
                return Fail($"stream {streamId} already has {before.LastSequence} tokens (done: {before.Done}); pass a new --stream-id");
            }

            Pass($"stream {streamId} started on {runExisted switch { true => "existing ", false => "new ", null => "" }}run {runId}");

            step = "stream";
            var sent = Enumerable.Range(0, options.Tokens).Select(i => Words[i % Words.Length]).ToArray();
            var (sequences, sentAt) = await Send(streamId, sent, cancellationToken);
            if (!sequences.SequenceEqual(Enumerable.Range(1, sent.Length).Select(i => (long)i)))
            {
                return Fail($"the producer SDK numbered the tokens {string.Join(",", sequences.Take(20))}…, not 1..{sent.Length}");
            }

            Pass($"streamed {sent.Length} tokens at {options.Rate:0.#}/s through {(options.Http ? "the HTTP producer API" : "the producer SDK")}, numbered 1..{sent.Length}");

            step = "end";
            var text = string.Concat(sent);
            if (!await cluster.Producer.EndStreamAsync(streamId, text, cancellationToken))
            {
                return Fail("ending the stream returned false: something else ended it first");
            }

            Pass("stream ended");

            step = "viewer result";
            var view = viewer.Stream(streamId);
            if (await Task.WhenAny(view.WhenDone, Task.Delay(options.Timeout, cancellationToken)) != view.WhenDone)
            {
                return Fail($"the viewer did not see the end within {options.Timeout.TotalSeconds:0} s; it shows {viewer.Read(streamId, s => s.Last)} tokens");
            }

            var (tokens, fullResponse, incomplete, delays) = viewer.Read(streamId, s =>
                (s.Tokens.ToArray(), s.FullResponse, s.Incomplete, Enumerable.Range(1, s.Tokens.Count).Select(q => Stopwatch.GetElapsedTime(sentAt[q - 1], s.ShownAt(q)).TotalMilliseconds).Order().ToArray()));
            if (incomplete || !tokens.SequenceEqual(sent))
            {
                return Fail($"the viewer shows {tokens.Length} tokens that differ from the {sent.Length} sent (first difference at {FirstDifference(tokens, sent)})");
            }

            if (fullResponse != text)
            {
                return Fail($"the viewer's done event carries a full text of {fullResponse?.Length} characters, not the {text.Length} sent");
            }

            Pass($"viewer got {tokens.Length} tokens in order and done with the full text (send→shown p50 {Percentile(delays, 0.5):0.0} ms, p99 {Percentile(delays, 0.99):0.0} ms; {viewer.Stats})");

            step = "state";
            var info = await cluster.StreamInfo(streamId);
            var page = await cluster.Tokens(streamId);
            if (!info.Done || info.Reason != StreamEndReason.Completed || info.LastSequence != sent.Length || page.FullResponse != text)
            {
                return Fail($"stream state: done {info.Done}, reason {info.Reason}, last sequence {info.LastSequence}, full text matches: {page.FullResponse == text}");
            }

            Pass($"stream state: done (completed), last sequence {info.LastSequence}, full text stored");

            step = "second end";
            var again = await cluster.Producer.EndStreamAsync(streamId, text, cancellationToken);
            var after = await cluster.StreamInfo(streamId);
            if (again || after != info)
            {
                return Fail($"a second end returned {again} and the state went from {info} to {after}");
            }

            return Pass("a second end is idempotent: it returned false and changed nothing");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Fail($"{step}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Creates the thread when missing and returns who watches it: --user, else its owner.</summary>
    private async Task<string> EnsureThread(string threadId)
    {
        var existingOwner = await cluster.ThreadOwner(threadId);
        if (existingOwner is null)
        {
            var owner = options.User ?? "smoke";
            await cluster.Producer.ConfigureThreadAsync(threadId, new ThreadAccess("smoke", "smoke", owner, []));
            Pass($"thread {threadId} created, owned by {owner}");
            return owner;
        }

        var user = options.User ?? existingOwner;
        Pass($"thread {threadId} exists; watching it as {user}");
        return user;
    }

    /// <summary>Sends at the configured pace without waiting for each token, as a model's tokens come; returns their numbers.</summary>
    private async Task<(long[] Sequences, long[] SentAt)> Send(string streamId, string[] tokens, CancellationToken cancellationToken)
    {
        var sentAt = new long[tokens.Length];
        var calls = new Task<long>[tokens.Length];
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < tokens.Length; i++)
        {
            var due = TimeSpan.FromSeconds(i / options.Rate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            sentAt[i] = Stopwatch.GetTimestamp();
            calls[i] = cluster.Producer.StreamTokenAsync(streamId, tokens[i], cancellationToken);
        }

        return (await Task.WhenAll(calls), sentAt);
    }

    private static int FirstDifference(string[] a, string[] b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i + 1;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private bool Pass(string message)
    {
        output.WriteLine($"{Prefix}PASS  {message}");
        return true;
    }

    private bool Fail(string message)
    {
        output.WriteLine($"{Prefix}FAIL  {message}");
        return false;
    }
}
