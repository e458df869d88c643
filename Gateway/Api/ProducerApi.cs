using Microsoft.AspNetCore.Http.HttpResults;
using ReHome.Gateway.Auth;
using ReHome.Gateway.Hubs;

namespace ReHome.Gateway.Api;

/// <summary>
/// The HTTP producer API for backends that are not .NET (the Laravel app this replaces), under <c>/api/v1</c>,
/// authenticated by <c>X-Service-Key</c>. A refused request changes nothing.
/// </summary>
internal static class ProducerApi
{
    public static RouteGroupBuilder MapProducerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(AuthSetup.ServicePolicy)
            .RequireProducerRate()
            .AddEndpointFilter<ReHomeProblemFilter>()
            .WithTags("Producer API");

        api.MapPut("/threads/{threadId}", ConfigureThread);
        api.MapGet("/threads/{threadId}/streams", GetThreadStreams);
        api.MapPost("/streams", StartStream);
        api.MapGet("/streams/{streamId}", GetStream);
        api.MapGet("/streams/{streamId}/tokens", GetTokens);
        api.MapPost("/streams/{streamId}/tokens", AppendTokens);
        api.MapPost("/streams/{streamId}/end", EndStream);
        api.MapPost("/streams/{streamId}/cancel", CancelStream);
        return api;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ConfigureThread(string threadId, ThreadAccessRequest body, IGrainFactory grains)
    {
        Ids.Validate(threadId, "threadId");
        await grains.GetGrain<IThreadGrain>(threadId).Configure(
            new ThreadAccess(body.WorkspaceId, body.ProjectId, body.OwnerUserId!, body.MemberUserIds!));
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ThreadStream[]>> GetThreadStreams(string threadId, IGrainFactory grains)
    {
        Ids.Validate(threadId, "threadId");
        var thread = grains.GetGrain<IThreadGrain>(threadId);
        if (await thread.GetAccess() is null)
        {
            throw new ThreadNotFoundException(threadId);
        }

        var streams = await thread.GetStreams();
        return TypedResults.Ok(streams.Select(ThreadStream.From).ToArray());
    }

    private static async Task<Created<StreamInfo>> StartStream(StartStreamRequest body, IGrainFactory grains)
    {
        var streamId = body.StreamId ?? Guid.NewGuid().ToString("N");
        Ids.Validate(streamId, "streamId");
        Ids.Validate(body.ThreadId, "threadId");
        Ids.Validate(body.RunId, "runId");
        var info = await grains.GetGrain<IStreamGrain>(streamId).Start(body.ThreadId!, body.RunId!);
        return TypedResults.Created($"/api/v1/streams/{streamId}", info);
    }

    private static async Task<Ok<StreamInfo>> GetStream(string streamId, IGrainFactory grains)
    {
        Ids.Validate(streamId, "streamId");
        // A producer taking over a stream reads where to go on from here: confirmed against storage.
        return TypedResults.Ok(await grains.GetGrain<IStreamGrain>(streamId).GetPosition());
    }

    private static async Task<Ok<TokenPageMessage>> GetTokens(string streamId, string? after, IGrainFactory grains)
    {
        Ids.Validate(streamId, "streamId");
        var afterSequence = 0L;
        if (after is not null && !long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out afterSequence))
        {
            throw new InvalidRequestException("after", $"after must be a whole number 0–{Sequences.Max}.");
        }

        Sequences.Validate(afterSequence, "after");
        return TypedResults.Ok(TokenPageMessage.From(await grains.GetGrain<IStreamGrain>(streamId).GetTokens(afterSequence)));
    }

    private static async Task<Results<Ok<AppendResponse>, ProblemHttpResult>> AppendTokens(
        string streamId, AppendRequest body, IGrainFactory grains, HttpContext http)
    {
        Ids.Validate(streamId, "streamId");
        if ((body.Token is null) == (body.Tokens is null))
        {
            return Problems.Invalid("token", "Send exactly one of token (a string) or tokens (an array of strings).", http);
        }

        var tokens = body.Tokens ?? [body.Token!];
        for (var i = 0; i < tokens.Length; i++)
        {
            var field = body.Tokens is null ? "token" : $"tokens[{i}]";
            if (tokens[i] is null)
            {
                return Problems.Invalid(field, $"{field} must not be null.", http);
            }

            TextRules.EnsureWellFormed(tokens[i], field);
        }

        if (body.Sequence is { } sequence)
        {
            Sequences.Validate(sequence, "sequence", min: 1);
        }

        AppendAck ack;
        try
        {
            ack = await grains.GetGrain<IStreamGrain>(streamId).AppendMany(body.Sequence ?? 0, tokens);
        }
        catch (InvalidRequestException error) when (body.Token is not null && error.Field == "tokens[0]")
        {
            // The grain takes a batch; a caller who sent one token should hear about "token".
            return Problems.Invalid("token", error.Message.Replace("tokens[0]", "token"), http);
        }

        var first = body.Sequence ?? ack.LastSequence - tokens.Length + 1;
        return TypedResults.Ok(new AppendResponse(first, first + tokens.Length - 1, ack.DurableThrough));
    }

    private static async Task<Ok<EndResponse>> EndStream(string streamId, EndRequest? body, IGrainFactory grains)
    {
        Ids.Validate(streamId, "streamId");
        if (body?.FullResponse is { } text)
        {
            TextRules.EnsureWellFormed(text, "fullResponse");
        }

        if (body?.LastSequence is { } last)
        {
            Sequences.Validate(last, "lastSequence");
        }

        var ended = await grains.GetGrain<IStreamGrain>(streamId).End(body?.FullResponse, body?.LastSequence);
        return TypedResults.Ok(new EndResponse(ended));
    }

    private static async Task<Ok<CancelResponse>> CancelStream(string streamId, CancelRequest body, IGrainFactory grains)
    {
        Ids.Validate(streamId, "streamId");
        if (body.Reason is null)
        {
            throw new InvalidRequestException("reason", "reason is required.");
        }

        TextRules.EnsureWellFormed(body.Reason, "reason");
        return TypedResults.Ok(new CancelResponse(await grains.GetGrain<IStreamGrain>(streamId).Cancel(body.Reason)));
    }
}
