namespace ReHome.Gateway.Fanout;

/// <summary>
/// One response stream's place in what this gateway has forwarded. It drops what was already forwarded (a
/// producer's resend after a silo crash), fills a jump from the stream's history before forwarding past it (events
/// lost with a dead silo's queue), never forwards past a jump the history cannot fill yet, and forwards the done
/// event once, after the last token.
/// </summary>
/// <remarks>No Orleans here: history comes from an <see cref="ITokenSource"/>. Not thread-safe; its thread's channel
/// calls it one event at a time.</remarks>
internal sealed class StreamSequencer(string streamId, long lastForwarded, DateTimeOffset now, ITokenSource history, IThreadOutput output, SequencerEvents events)
{
    public string StreamId => streamId;

    /// <summary>The last sequence forwarded; every one before it was forwarded once, in order.</summary>
    public long Last { get; private set; } = lastForwarded;

    /// <summary>The done event was forwarded; nothing of this stream is forwarded after it.</summary>
    public bool Done { get; set; }

    /// <summary>The stream no longer exists (its state expired): forget it.</summary>
    public bool Gone { get; private set; }

    /// <summary>When this stream was last heard of (an event, or a fill that found something).</summary>
    public DateTimeOffset LastEventAt { get; private set; } = now;

    public async Task Accept(TokensAppended e, DateTimeOffset now)
    {
        if (Done)
        {
            return;
        }

        if (e.FirstSequence > Last + 1)
        {
            await Fill();
            if (e.FirstSequence > Last + 1 && !Done)
            {
                // The history does not hold the tokens before this event (a dead activation numbered them and its
                // successor came back from an older checkpoint, or the stream is gone). The producer resends them
                // under the same numbers and they go out then, this event's tokens with them: forwarding now would
                // show viewers a jump.
                events.GapNotFilled(StreamId, Last, e.FirstSequence);
                return;
            }
        }

        // Tokens at or below the last forwarded one are a producer's resend: viewers already have them.
        var skip = (int)Math.Max(0, Last + 1 - e.FirstSequence);
        if (skip < e.Tokens.Length && !Done)
        {
            output.Forward(e, skip);
            Last = e.LastSequence;
        }

        LastEventAt = now;
    }

    public async Task Accept(StreamEnded e, DateTimeOffset now)
    {
        if (Done)
        {
            return;
        }

        if (e.LastSequence > Last)
        {
            await Fill();
        }

        if (!Done)
        {
            output.Forward([TokenMessage.ForDone(e)]);
            Done = true;
        }

        LastEventAt = now;
    }

    /// <summary>An open stream silent longer than <paramref name="silentFor"/> is asked for what it has.</summary>
    public async Task ProbeIfSilent(TimeSpan silentFor, DateTimeOffset now)
    {
        if (!Done && now - LastEventAt > silentFor)
        {
            LastEventAt = now;
            await Fill();
        }
    }

    /// <summary>Forwards what the stream has after the last forwarded sequence, and its done event if it is done.</summary>
    public async Task Fill()
    {
        if (await history.GetTokens(StreamId, Last) is not { } page)
        {
            Gone = true;
            return;
        }

        if (page.Tokens.Length > 0 || page.Done)
        {
            // Only a probe that found something is a gap filled; most probes of a pausing model find nothing.
            events.GapFilled();
        }

        if (page.Tokens.Length > 0)
        {
            var messages = new TokenMessage[page.Tokens.Length];
            for (var i = 0; i < messages.Length; i++)
            {
                messages[i] = new TokenMessage(page.ThreadId, page.RunId, StreamId, page.FirstSequence + i, page.Tokens[i], false, null, null, null);
            }

            output.Forward(messages);
            Last = page.LastSequence;
        }

        if (page.Done)
        {
            output.Forward([new TokenMessage(page.ThreadId, page.RunId, StreamId, page.LastSequence, null, true,
                page.FullResponse, Reasons.Name(page.Reason), page.Detail)]);
            Done = true;
        }
    }
}
