using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ReHome.Bench.Baseline;

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
