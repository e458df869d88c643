namespace ReHome.Tests.Infrastructure;

/// <summary>Waits for a condition with a deadline, instead of sleeping a guessed time.</summary>
public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met in time{(because is null ? "" : ": " + because)}. Last value: {value}");
            }

            await Task.Delay(25);
        }
    }

    public static Task True(Func<Task<bool>> probe, TimeSpan? timeout = null, string? because = null) =>
        Get(probe, v => v, timeout, because);
}
