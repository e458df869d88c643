namespace ReHome.Bench.Load;

/// <summary>A viewer the live scenarios drive: the hub client (<see cref="Viewer"/>) or a Pusher client (<see cref="PusherViewer"/>).</summary>
internal interface IBenchViewer : IAsyncDisposable
{
    IEnumerable<StreamCheck> Checks { get; }

    bool Connected { get; }

    Task Connect(CancellationToken cancellationToken);

    Task Join(string threadId);
}
