namespace ReHome.Gateway.Fanout;

/// <summary>Where a thread's sequencer puts messages once they are in order, each once: the thread's dispatcher.</summary>
internal interface IThreadOutput
{
    /// <summary>Tokens <paramref name="skip"/> onwards of a published batch, without an intermediate array.</summary>
    void Forward(TokensAppended published, int skip);

    /// <summary>Tokens fetched to fill a gap, or a done event.</summary>
    void Forward(TokenMessage[] messages);
}
