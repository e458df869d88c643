using Microsoft.AspNetCore.SignalR;

namespace ReHome.Tests.Faults;

/// <summary>
/// Retries a setup call that a busy machine can time out (an Orleans timeout, a hub's <c>unavailable</c>), as the
/// browser client and the producer SDK do, until a deadline. Refusals and anything else fail at once.
/// </summary>
internal static class Patiently
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(200);

    public static async Task<T> Call<T>(Func<Task<T>> call, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (IsFault(ex) && DateTime.UtcNow + Pause < deadline)
            {
                // A pause between tries, not a wait for a condition.
                await Task.Delay(Pause);
            }
        }
    }

    private static bool IsFault(Exception ex) =>
        ex is TimeoutException or OrleansException
        || ex is HubException hub && hub.Message.Contains("HubException: unavailable", StringComparison.Ordinal);
}
