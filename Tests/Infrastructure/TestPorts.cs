namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Loopback ports for the servers and processes the tests start: 24000–27999, below the ephemeral range and apart from
/// the bench's 28000–28999 (see <see cref="Ports"/> for why a port 0 lookup is not enough).
/// </summary>
public static class TestPorts
{
    private static readonly Ports Range = new(24000, 27999);

    public static int Next() => Range.Next();
}
