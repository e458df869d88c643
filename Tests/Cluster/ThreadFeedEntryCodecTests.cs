using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Session;
using Orleans.Serialization.WireProtocol;
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

    [Fact]
    public void An_entry_from_a_later_release_reads_without_the_fields_and_event_types_this_one_does_not_know()
    {
        // Laid out by hand as a later release could write it: tokens with one more field at their end, then an event
        // type of its own, then an access change as this release writes it.
        var tokens = Bytes((ref Writer<ArrayBufferWriter<byte>> w) =>
        {
            String(ref w, "t-1");
            String(ref w, "r-1");
            String(ref w, "s-1");
            w.WriteVarInt64(7);
            w.WriteVarUInt32(2);
            String(ref w, "a");
            String(ref w, "b");
            w.WriteInt64(AppendedAt.ToBinary());
            String(ref w, null);
            String(ref w, "a field of a later release");
        });
        var unknown = Bytes((ref Writer<ArrayBufferWriter<byte>> w) => String(ref w, "an event of a later release"));
        var accessChanged = Bytes((ref Writer<ArrayBufferWriter<byte>> w) =>
        {
            String(ref w, "t-1");
            w.WriteVarUInt32(1);
            String(ref w, "u-9");
        });
        var stream = ThreadStreams.For("t-1");
        var entry = Bytes((ref Writer<ArrayBufferWriter<byte>> w) =>
        {
            w.WriteVarUInt32((uint)stream.FullKey.Length);
            w.WriteVarUInt32((uint)stream.Namespace.Length);
            w.Write(stream.FullKey.Span);
            w.WriteVarUInt32(3);
            foreach (var (tag, body) in new[] { (1, tokens), (99, unknown), (3, accessChanged) })
            {
                w.WriteByte((byte)tag);
                w.WriteVarUInt32((uint)body.Length);
                w.Write(body);
            }
        });
        var field = Bytes((ref Writer<ArrayBufferWriter<byte>> w) =>
        {
            w.WriteFieldHeader(0, typeof(ThreadFeedEntry), typeof(ThreadFeedEntry), WireType.LengthPrefixed);
            w.WriteVarUInt32((uint)entry.Length);
            w.Write(entry);
        });

        using var session = Sessions.GetSession();
        var reader = Reader.Create(field, session);
        var read = Assert.IsType<ThreadFeedEntry>(new ThreadFeedEntryCodec().ReadValue(ref reader, reader.ReadFieldHeader()));

        Assert.Equal(stream, read.StreamId);
        Assert.Equal(2, read.Events.Length);
        Assert.Equivalent(new TokensAppended("t-1", "r-1", "s-1", 7, ["a", "b"], AppendedAt), read.Events[0], strict: true);
        Assert.Equivalent(new ThreadAccessChanged("t-1", ["u-9"]), read.Events[1], strict: true);
        Assert.Equal(field.Length, reader.Position);
    }

    private delegate void Layout(ref Writer<ArrayBufferWriter<byte>> writer);

    private byte[] Bytes(Layout layout)
    {
        using var session = Sessions.GetSession();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = Writer.Create(buffer, session);
        layout(ref writer);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>As the codec writes a string: its UTF-8 length + 1 (0 for null), then the bytes.</summary>
    private static void String(ref Writer<ArrayBufferWriter<byte>> writer, string? value)
    {
        if (value is null)
        {
            writer.WriteVarUInt32(0);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        writer.WriteVarUInt32((uint)bytes.Length + 1);
        writer.Write(bytes);
    }

    private Serializer Serializer => fixture.Client.ServiceProvider.GetRequiredService<Serializer>();

    private SerializerSessionPool Sessions => fixture.Client.ServiceProvider.GetRequiredService<SerializerSessionPool>();
}
