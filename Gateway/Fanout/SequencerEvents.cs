namespace ReHome.Gateway.Fanout;

/// <summary>What a thread's sequencer reports as it goes: to the gateway's metrics and log, or to a test.</summary>
internal class SequencerEvents
{
    /// <summary>A fill or probe found tokens or the end that had not reached this gateway.</summary>
    public virtual void GapFilled()
    {
    }

    /// <summary>An event past a jump the stream's history could not fill yet was held back.</summary>
    public virtual void GapNotFilled(string streamId, long lastForwarded, long firstSequence)
    {
    }
}
