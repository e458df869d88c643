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

return await new Runner(options, string.Join(' ', args)).Run();
