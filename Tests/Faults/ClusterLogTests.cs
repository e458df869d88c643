using System.Text.RegularExpressions;

namespace ReHome.Tests.Faults;

[Collection(ProcessClusterCollection.Name)]
public sealed partial class ClusterLogTests(ProcessClusterFixture fixture)
{
    /// <summary>What the fixture's <see cref="Infrastructure.ChildProcess"/> writes between runs of a process, not a log entry.</summary>
    private const string StartMarker = "==== start ";

    [SkippableFact]
    public async Task Silos_and_gateways_in_cluster_mode_log_one_line_per_entry_starting_with_its_UTC_time()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();

        // The fixture sets no console format: this is what an operator gets by default with Redis configured.
        foreach (var process in fixture.Silos.Concat(fixture.Gateways))
        {
            using var log = new StreamReader(new FileStream(process.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var lines = (await log.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(line => !line.StartsWith(StartMarker, StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.Matches(TimestampedEntry(), line));
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): \S")]
    private static partial Regex TimestampedEntry();
}
