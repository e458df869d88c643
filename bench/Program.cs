using System.Runtime.InteropServices;
using ReHome.Bench;
using ReHome.Bench.Baseline;

if (args.Length > 0 && args[0] == "baseline-server")
{
    await BaselineServer.Run(args[1..]);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// Ctrl-C or SIGTERM ends the run at once (the Orleans client's host would otherwise take the signal and leave the run
// going); the servers it started are killed on the way out (ChildProcess).
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Environment.Exit(130));
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(143));
return await new Runner(options, string.Join(' ', args)).Run();
