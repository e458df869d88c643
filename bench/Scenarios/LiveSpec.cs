namespace ReHome.Bench.Scenarios;

/// <summary>A live-delivery load: streams at a token rate each, viewers per stream's thread, a warm-up and a measured window.</summary>
internal sealed record LiveSpec(string Name, int Streams, double Rate, int ViewersPerThread, double Warmup, double Duration)
{
    public static LiveSpec For(string scenario, BenchOptions o)
    {
        var spec = scenario switch
        {
            "light" => new LiveSpec("light", 10, 50, 1, 10, 20),
            // 40 s: profiled, the silo's JIT was still tiering up its hot paths after 10 s (14 % of its samples), which is
            // start-up cost, not the cost per token this scenario reports.
            "seed" => new LiveSpec("seed", 1000, 50, 1, 40, 20),
            "fanout" => new LiveSpec("fanout", 10, 50, 100, 3, 20),
            "ci" => new LiveSpec("ci", 10, 50, 2, 1, 4),
            _ => throw new ArgumentException($"Unknown live scenario {scenario}."),
        };
        return spec with
        {
            Streams = o.Streams ?? spec.Streams,
            Rate = o.Rate ?? spec.Rate,
            ViewersPerThread = o.Viewers ?? spec.ViewersPerThread,
            Warmup = o.Warmup ?? spec.Warmup,
            Duration = o.Duration ?? spec.Duration,
        };
    }
}
