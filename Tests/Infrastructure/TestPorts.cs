namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Loopback ports for the servers and processes the tests start: 15000–19999, below the ephemeral range (see
/// <see cref="Ports"/> for why a port 0 lookup is not enough) and apart from the ranges Orleans' test clusters draw from
/// (22300–30000, 40000–50000) and the bench's (28000–28999).
/// </summary>
public static class TestPorts
{
    private static readonly Ports Range = new(15000, 19999);

    public static int Next() => Range.Next();
}
