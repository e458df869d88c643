using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Serialization;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>Feed entries through the serializer a cluster client uses, and so through <see cref="ThreadFeedEntryCodec"/>.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ThreadFeedEntryCodecTests(ClusterFixture fixture)
{
    private static readonly DateTime AppendedAt = new(2026, 12, 5, 7, 30, 15, 123, DateTimeKind.Utc);

    /// <summary>One of each ThreadEvent type, with and without its optional parts.</summary>
    private static readonly ThreadEvent[] Samples =
    [
        new TokensAppended("t-1", "r-1", "s-1", 1, ["Hello", "", " wörld ", "😀", "line\nbreak"], AppendedAt,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        new TokensAppended("t-1", "r-1", "s-1", 6, [new string('x', 5_000)], AppendedAt.AddTicks(7)),
        new StreamEnded("t-1", "r-1", "s-1", 6, "Hello wörld 😀", StreamEndReason.Completed, null),
        new StreamEnded("t-1", "r-1", "s-2", 0, null, StreamEndReason.Abandoned, "no token for 30 s", "00-1-2-01"),
        new ThreadAccessChanged("t-1", ["u-1", "u-2"]),
        new ThreadAccessChanged("t-1", []),
    ];

    [Fact]
    public void A_delivery_of_every_event_type_reads_back_exactly_as_written()
    {
        var longKey = ThreadStreams.For(new string('k', 400));
        var written = new ThreadFeedDelivery(
            [new(ThreadStreams.For("t-1"), Samples), new(longKey, [Samples[0]]), new(StreamId.Create("", "no-namespace"), [])],
            [ThreadStreams.For("t-lost")],
            "rehome/3");

        var read = Assert.IsType<ThreadFeedDelivery>(Serializer.Deserialize<ThreadFeedDelivery>(Serializer.SerializeToArray(written)));

        Assert.Equal(written.Entries.Select(e => e.StreamId), read.Entries.Select(e => e.StreamId));
        Assert.Equal("no-namespace", read.Entries[2].StreamId.GetKeyAsString());
        for (var i = 0; i < written.Entries.Length; i++)
        {
            Assert.Equal(written.Entries[i].Events.Select(e => e.GetType()), read.Entries[i].Events.Select(e => e.GetType()));
            Assert.Equivalent(written.Entries[i].Events, read.Entries[i].Events, strict: true);
        }

        Assert.All(read.Entries[0].Events.OfType<TokensAppended>(), tokens => Assert.Equal(DateTimeKind.Utc, tokens.AppendedAt.Kind));
        Assert.Equal(written.Lost, read.Lost);
        Assert.Equal("rehome/3", read.ClosingRelay);
    }

    [Fact]
    public void Every_thread_event_type_has_a_sample_here_so_the_codec_is_tested_with_it()
    {
        var eventTypes = typeof(ThreadEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(ThreadEvent)) && !t.IsAbstract);

        Assert.Equal(eventTypes.Select(t => t.Name).Order(), Samples.Select(e => e.GetType().Name).Distinct().Order());
    }

    private Serializer Serializer => fixture.Client.ServiceProvider.GetRequiredService<Serializer>();
}
