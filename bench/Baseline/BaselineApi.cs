using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.SignalR;

namespace ReHome.Bench.Baseline;

/// <summary>The gateway's HTTP producer routes that the bench uses, on the baseline, behind the same <c>X-Service-Key</c>.</summary>
internal static class BaselineApi
{
    public sealed record ThreadBody(string OwnerUserId, string[] MemberUserIds);

    public sealed record StartBody(string ThreadId, string RunId, string StreamId);

    public sealed record TokensBody(string? Token, string[]? Tokens, long? Sequence);

    public static void MapBaselineApi(this IEndpointRouteBuilder app, string serviceKey)
    {
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(serviceKey));
        var api = app.MapGroup("/api/v1").AddEndpointFilter(async (context, next) =>
        {
            var presented = context.HttpContext.Request.Headers["X-Service-Key"].ToString();
            return CryptographicOperations.FixedTimeEquals(key, SHA256.HashData(Encoding.UTF8.GetBytes(presented)))
                ? await next(context)
                : Results.Unauthorized();
        });

        api.MapPut("/threads/{threadId}", (string threadId, ThreadBody body, BaselineStreams streams) =>
        {
            streams.Configure(threadId, body.OwnerUserId, body.MemberUserIds);
            return Results.NoContent();
        });
        api.MapPost("/streams", (StartBody body, BaselineStreams streams) => Guard(() =>
        {
            streams.Start(body.ThreadId, body.RunId, body.StreamId);
            return Task.FromResult(Results.Created($"/api/v1/streams/{body.StreamId}", new { streamId = body.StreamId }));
        }));
        api.MapPost("/streams/{streamId}/tokens", (string streamId, TokensBody body, BaselineStreams streams) => Guard(async () =>
        {
            var tokens = body.Tokens ?? [body.Token!];
            long first = 0, last = 0;
            for (var i = 0; i < tokens.Length; i++)
            {
                last = await streams.Append(streamId, tokens[i], body.Sequence is { } s ? s + i : null);
                first = i == 0 ? last : first;
            }

            return Results.Ok(new { firstSequence = first, lastSequence = last });
        }));
        api.MapPost("/streams/{streamId}/end", (string streamId, BaselineStreams streams) => Guard(async () =>
            Results.Ok(new { ended = await streams.End(streamId) })));
    }

    private static async Task<IResult> Guard(Func<Task<IResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (HubException ex)
        {
            return Results.Problem(ex.Message, statusCode: 409);
        }
    }
}
