namespace ReHome.Bench.Load;

/// <summary>The gateway contract's names, as a client spells them (the baseline server uses the same).</summary>
internal static class HubNames
{
    public const string HubPath = "/hubs/agent";
    public const string Token = "agent.thread.token";
    public const string Tokens = "agent.thread.tokens";
    public const string JoinThread = "JoinThread";
    public const string Issuer = "rehome";
    public const string Audience = "rehome-gateway";
}
