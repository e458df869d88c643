namespace ReHome.Bench.Scenarios;

internal static class Bounded
{
    /// <summary>Runs <paramref name="body"/> for each item with at most <paramref name="width"/> at once; the first failure is thrown after all finish.</summary>
    public static Task ForEach<T>(IEnumerable<T> items, int width, Func<T, Task> body) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = width }, async (item, _) => await body(item));

    public static async Task<bool> Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
