using System.Buffers;
using System.Text;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Utilities;
using Orleans.Serialization.WireProtocol;

namespace ReHome.Feed;

/// <summary>
/// Writes a <see cref="ThreadFeedEntry"/> as one length-prefixed field in a layout of its own, without Orleans'
/// reference tracking inside it. A delivery of 75 entries has about 600 objects; tracked, each is looked up in the
/// message's reference table, which past 64 objects is a dictionary allocated and grown per message. Feed events hold
/// no shared or cyclic references, so the tracking buys nothing.
/// </summary>
/// <remarks>
/// An entry is its stream id, then each event as a tag, its length and its fields. A reader skips the fields past
/// those it knows and the events whose tag it does not know, so that a release can add an event type, or fields at
/// the end of an event or entry, and still roll: an older process ignores them (as an Orleans stream skips items an observer
/// does not take), and a newer one reads such a field only while the event has bytes left, finding none in an older
/// process's events. Every <see cref="ThreadEvent"/> type has a tag here; a test fails when one is added without.
/// </remarks>
[RegisterSerializer, RegisterCopier]
public sealed class ThreadFeedEntryCodec : IFieldCodec<ThreadFeedEntry>, IDeepCopier<ThreadFeedEntry>
{
    private const byte TokensAppendedTag = 1;
    private const byte StreamEndedTag = 2;
    private const byte ThreadAccessChangedTag = 3;

    /// <summary>Stream ids up to this many bytes are read on the stack; a thread's is far shorter.</summary>
    private const int StackKeyLimit = 256;

    public ThreadFeedEntry? DeepCopy(ThreadFeedEntry? input, CopyContext context) => input;

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, ThreadFeedEntry? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (value is null)
        {
            ReferenceCodec.WriteNullReference(ref writer, fieldIdDelta);
            return;
        }

        // A value field, as a [SuppressReferenceTracking] type's: no entry is referenced twice in a message.
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(ThreadFeedEntry), WireType.LengthPrefixed);
        WriteLengthPrefixed(ref writer, value, WriteEntry);
    }

    public ThreadFeedEntry? ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.IsReference)
        {
            return ReferenceCodec.ReadReference<ThreadFeedEntry, TInput>(ref reader, field);
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        ReferenceCodec.MarkValueField(reader.Session);
        var length = reader.ReadVarUInt32();
        var end = reader.Position + length;
        var entry = ReadEntry(ref reader);
        SkipTo(ref reader, end, "entry");
        return entry;
    }

    private static void WriteEntry(ref Writer<PooledBuffer> writer, ThreadFeedEntry entry)
    {
        WriteStreamId(ref writer, entry.StreamId);
        writer.WriteVarUInt32((uint)entry.Events.Length);
        foreach (var item in entry.Events)
        {
            writer.WriteByte(item switch
            {
                TokensAppended => TokensAppendedTag,
                StreamEnded => StreamEndedTag,
                ThreadAccessChanged => ThreadAccessChangedTag,
                _ => throw new SerializerException(
                    $"{item?.GetType().Name ?? "null"} has no tag in {nameof(ThreadFeedEntryCodec)}; thread feeds carry the ThreadEvent types it knows."),
            });
            WriteLengthPrefixed(ref writer, item, WriteEvent);
        }
    }

    private static void WriteEvent(ref Writer<PooledBuffer> writer, ThreadEvent item)
    {
        switch (item)
        {
            case TokensAppended tokens:
                WriteIds(ref writer, tokens);
                writer.WriteVarInt64(tokens.FirstSequence);
                writer.WriteVarUInt32((uint)tokens.Tokens.Length);
                foreach (var token in tokens.Tokens)
                {
                    WriteString(ref writer, token);
                }

                writer.WriteInt64(tokens.AppendedAt.ToBinary());
                WriteString(ref writer, tokens.TraceParent);
                break;
            case StreamEnded ended:
                WriteIds(ref writer, ended);
                writer.WriteVarInt64(ended.LastSequence);
                WriteString(ref writer, ended.FullResponse);
                writer.WriteVarInt32((int)ended.Reason);
                WriteString(ref writer, ended.Detail);
                WriteString(ref writer, ended.TraceParent);
                break;
            case ThreadAccessChanged changed:
                WriteString(ref writer, changed.ThreadId);
                writer.WriteVarUInt32((uint)changed.RemovedUserIds.Length);
                foreach (var userId in changed.RemovedUserIds)
                {
                    WriteString(ref writer, userId);
                }

                break;
        }
    }

    private static ThreadFeedEntry ReadEntry<TInput>(ref Reader<TInput> reader)
    {
        var stream = ReadStreamId(ref reader);
        var events = new ThreadEvent[ReadCount(ref reader)];
        var known = 0;
        for (var i = 0; i < events.Length; i++)
        {
            var tag = reader.ReadByte();
            var length = ReadCount(ref reader);
            var end = reader.Position + length;
            ThreadEvent? item = tag switch
            {
                TokensAppendedTag => ReadTokensAppended(ref reader),
                StreamEndedTag => ReadStreamEnded(ref reader),
                ThreadAccessChangedTag => new ThreadAccessChanged(ReadString(ref reader)!, ReadStrings(ref reader)),
                _ => null, // a newer release's event type
            };
            SkipTo(ref reader, end, "event");
            if (item is not null)
            {
                events[known++] = item;
            }
        }

        if (known < events.Length)
        {
            Array.Resize(ref events, known);
        }

        return new ThreadFeedEntry(stream, events);
    }

    private static TokensAppended ReadTokensAppended<TInput>(ref Reader<TInput> reader)
    {
        var (threadId, runId, streamId) = ReadIds(ref reader);
        var firstSequence = reader.ReadVarInt64();
        var tokens = ReadStrings(ref reader);
        var appendedAt = DateTime.FromBinary(reader.ReadInt64());
        return new TokensAppended(threadId, runId, streamId, firstSequence, tokens, appendedAt, ReadString(ref reader));
    }

    private static StreamEnded ReadStreamEnded<TInput>(ref Reader<TInput> reader)
    {
        var (threadId, runId, streamId) = ReadIds(ref reader);
        var lastSequence = reader.ReadVarInt64();
        var fullResponse = ReadString(ref reader);
        var reason = (StreamEndReason)reader.ReadVarInt32();
        var detail = ReadString(ref reader);
        return new StreamEnded(threadId, runId, streamId, lastSequence, fullResponse, reason, detail, ReadString(ref reader));
    }

    private static void WriteIds<TBufferWriter>(ref Writer<TBufferWriter> writer, ThreadEvent item)
        where TBufferWriter : IBufferWriter<byte>
    {
        WriteString(ref writer, item.ThreadId);
        WriteString(ref writer, item.RunId);
        WriteString(ref writer, item.StreamId);
    }

    private static (string ThreadId, string RunId, string StreamId) ReadIds<TInput>(ref Reader<TInput> reader) =>
        (ReadString(ref reader)!, ReadString(ref reader)!, ReadString(ref reader)!);

    /// <summary>Length + 1, then UTF-8; 0 is null.</summary>
    private static void WriteString<TBufferWriter>(ref Writer<TBufferWriter> writer, string? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (value is null)
        {
            writer.WriteVarUInt32(0);
            return;
        }

        var byteCount = Encoding.UTF8.GetByteCount(value);
        writer.WriteVarUInt32((uint)byteCount + 1);
        StringCodec.WriteRaw(ref writer, value, byteCount);
    }

    private static string? ReadString<TInput>(ref Reader<TInput> reader)
    {
        var lengthPlusOne = reader.ReadVarUInt32();
        return lengthPlusOne == 0 ? null : StringCodec.ReadRaw(ref reader, lengthPlusOne - 1);
    }

    private static string[] ReadStrings<TInput>(ref Reader<TInput> reader)
    {
        var values = new string[ReadCount(ref reader)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ReadString(ref reader)!;
        }

        return values;
    }

    /// <summary>Past what a later release added at the end of an entry or event.</summary>
    private static void SkipTo<TInput>(ref Reader<TInput> reader, long end, string what)
    {
        if (reader.Position > end)
        {
            throw new SerializerException($"A thread feed {what} ran past its length, to byte {reader.Position} of {end}.");
        }

        reader.Skip(end - reader.Position);
    }

    private delegate void BodyWriter<in TValue>(ref Writer<PooledBuffer> writer, TValue value);

    /// <summary>What <paramref name="write"/> writes, preceded by its length in bytes.</summary>
    private static void WriteLengthPrefixed<TBufferWriter, TValue>(ref Writer<TBufferWriter> writer, TValue value, BodyWriter<TValue> write)
        where TBufferWriter : IBufferWriter<byte>
    {
        var body = Writer.CreatePooled(writer.Session);
        try
        {
            write(ref body, value);
            body.Commit();
            writer.WriteVarUInt32((uint)body.Output.Length);
            body.Output.CopyTo(ref writer);
        }
        finally
        {
            body.Dispose();
        }
    }

    /// <summary>The full key's length, where its key starts, then the full key.</summary>
    private static void WriteStreamId<TBufferWriter>(ref Writer<TBufferWriter> writer, StreamId stream)
        where TBufferWriter : IBufferWriter<byte>
    {
        var fullKey = stream.FullKey.Span;
        writer.WriteVarUInt32((uint)fullKey.Length);
        writer.WriteVarUInt32((uint)stream.Namespace.Length);
        writer.Write(fullKey);
    }

    private static StreamId ReadStreamId<TInput>(ref Reader<TInput> reader)
    {
        var length = ReadCount(ref reader);
        var keyStart = reader.ReadVarUInt32();
        if (keyStart > length)
        {
            throw new SerializerException($"A thread feed entry's stream id puts its key at {keyStart} of {length} bytes.");
        }

        // Thread ids are short; StreamId.Create copies the bytes into its own array.
        Span<byte> fullKey = length <= StackKeyLimit ? stackalloc byte[length] : new byte[length];
        reader.ReadBytes(fullKey);
        return StreamId.Create(fullKey[..(int)keyStart], fullKey[(int)keyStart..]);
    }

    /// <summary>A count or length, checked against what is left to read so corrupt input cannot allocate gigabytes.</summary>
    private static int ReadCount<TInput>(ref Reader<TInput> reader)
    {
        var count = reader.ReadVarUInt32();
        if (count > int.MaxValue)
        {
            throw new SerializerException($"A thread feed entry declared {count} items.");
        }

        reader.EnsureAvailable(count);
        return (int)count;
    }
}
