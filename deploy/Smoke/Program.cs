using ReHome.Smoke;

// The successor of `php artisan stream:smoke {thread} {run} --stream_id=…`; see SmokeOptions.Usage.
// No argument is a run with what the environment gives (deploy/local-cluster.sh sets it); a missing setting is a
// usage error (exit 2) that names it.
if (args is ["--mint-token", ..])
{
    return MintToken.Run(args[1..], Environment.GetEnvironmentVariable, Console.Out, Console.Error);
}

if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine(SmokeOptions.Usage);
    return 0;
}

SmokeOptions options;
try
{
    options = SmokeOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(SmokeOptions.Usage);
    return 2;
}

const string Interrupted = "STOP  interrupted (Ctrl-C) before the smoke streams finished";
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

ISmokeBackend cluster;
try
{
    if (options.Http)
    {
        cluster = await SmokeHttp.Connect(options.Gateways[0], options.ServiceKey!, options.ThreadId is not null, options.User, stop.Token)
            .WaitAsync(TimeSpan.FromSeconds(30), stop.Token);
        Console.WriteLine($"PASS  the HTTP producer API of {options.Gateways[0]} takes the service key");
    }
    else
    {
        var orleans = await SmokeCluster.Connect(options.Redis!, options.ClusterId, options.ServiceId, cancellationToken: stop.Token)
            .WaitAsync(TimeSpan.FromSeconds(30), stop.Token);
        cluster = orleans;
        Console.WriteLine($"PASS  connected to cluster '{options.ClusterId}' through Redis: {await orleans.ActiveSilos()} active silo(s)");
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine(Interrupted);
    return 130;
}
catch (Exception ex)
{
    Console.WriteLine($"FAIL  {(options.Http ? "gateway" : "cluster")}: {ex.GetType().Name}: {ex.Message}");
    return 1;
}

await using (cluster)
{
    bool[] results;
    try
    {
        results = await Task.WhenAll(Enumerable.Range(1, options.Concurrency)
            .Select(i => new SmokeRun(cluster, options, Console.Out, i).Run(stop.Token)));
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        Console.WriteLine(Interrupted);
        return 130;
    }

    var passed = results.Count(r => r);
    if (options.Concurrency > 1)
    {
        Console.WriteLine($"{(passed == results.Length ? "PASS" : "FAIL")}  {passed} of {results.Length} smoke streams passed");
    }

    return passed == results.Length ? 0 : 1;
}
