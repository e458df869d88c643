using System.Runtime.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ReHome.Bench.Baseline;

/// <summary>The gateway's <c>agent.thread.token</c> payload, same names on both protocols.</summary>
[DataContract]
public sealed record BaselineToken(
    [property: DataMember(Name = "threadId")] string ThreadId,
    [property: DataMember(Name = "runId")] string RunId,
    [property: DataMember(Name = "streamId")] string StreamId,
    [property: DataMember(Name = "sequence")] long Sequence,
    [property: DataMember(Name = "token")] string? Token,
    [property: DataMember(Name = "done")] bool Done,
    [property: DataMember(Name = "fullResponse")] string? FullResponse,
    [property: DataMember(Name = "reason")] string? Reason,
    [property: DataMember(Name = "detail")] string? Detail);

/// <summary>The viewers' hub: JWT-authenticated, a join checked against the thread's users, a group per thread.</summary>
[Authorize(AuthenticationSchemes = JwtBearerDefaults.AuthenticationScheme)]
internal sealed class BaselineAgentHub(BaselineStreams streams) : Hub
{
    public static string Group(string threadId) => "thread:" + threadId;

    public async Task<object[]> JoinThread(string threadId)
    {
        if (!streams.CanAccess(threadId, Context.User?.FindFirst("sub")?.Value ?? ""))
        {
            throw new HubException($"forbidden: you may not watch thread '{threadId}'.");
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, Group(threadId));
        return [];
    }
}

/// <summary>The producers' hub, standing in for the producer SDK: a persistent connection, one call per token.</summary>
[Authorize(AuthenticationSchemes = JwtBearerDefaults.AuthenticationScheme, Policy = "service")]
internal sealed class BaselineProducerHub(BaselineStreams streams) : Hub
{
    public void Configure(string threadId, string ownerUserId, string[] memberUserIds) => streams.Configure(threadId, ownerUserId, memberUserIds);

    public void Start(string threadId, string runId, string streamId) => streams.Start(threadId, runId, streamId);

    public Task<long> Append(string streamId, string token) => streams.Append(streamId, token);

    public Task<bool> End(string streamId, long lastSequence) => streams.End(streamId);
}
