using System.Diagnostics;

namespace ReHome.Bench.Load;

/// <summary>What one viewer received, checked per stream against its producer's ledger, whatever the client's protocol.</summary>
internal sealed class ReceivedTokens(Delivery delivery)
{
    private readonly Dictionary<string, StreamCheck> _checks = [];

    public IEnumerable<StreamCheck> Checks => _checks.Values;

    /// <param name="receivedAt">The <see cref="Stopwatch"/> timestamp of the message's arrival.</param>
    public void Receive(ViewerToken message, long receivedAt)
    {
        if (!_checks.TryGetValue(message.StreamId, out var check))
        {
            if (delivery.Find(message.StreamId) is not { } ledger)
            {
                return;
            }

            check = new StreamCheck(ledger);
            _checks[message.StreamId] = check;
        }

        if (message.Done)
        {
            check.Ended(message.Sequence);
            return;
        }

        check.Token(message.Sequence, message.Token);
        delivery.Received(check.Ledger, message.Sequence, receivedAt);
    }
}
