using ReHome.Smoke;

// The successor of `php artisan stream:smoke {thread} {run} --stream_id=…`; see SmokeOptions.Usage.
if (args is [] || args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine(SmokeOptions.Usage);
    return args is [] ? 2 : 0;
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

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

SmokeCluster cluster;
try
{
    cluster = await SmokeCluster.Connect(options.Redis, options.ClusterId, options.ServiceId, cancellationToken: stop.Token)
        .WaitAsync(TimeSpan.FromSeconds(30), stop.Token);
    Console.WriteLine($"PASS  connected to cluster '{options.ClusterId}' through Redis: {await cluster.ActiveSilos()} active silo(s)");
}
catch (Exception ex)
{
    Console.WriteLine($"FAIL  cluster: {ex.GetType().Name}: {ex.Message}");
    return 1;
}

await using (cluster)
{
    var results = await Task.WhenAll(Enumerable.Range(1, options.Concurrency)
        .Select(i => new SmokeRun(cluster, options, Console.Out, i).Run(stop.Token)));
    var passed = results.Count(r => r);
    if (options.Concurrency > 1)
    {
        Console.WriteLine($"{(passed == results.Length ? "PASS" : "FAIL")}  {passed} of {results.Length} smoke streams passed");
    }

    return passed == results.Length ? 0 : 1;
}
