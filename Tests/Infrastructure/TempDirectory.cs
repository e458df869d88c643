namespace ReHome.Tests.Infrastructure;

internal static class TempDirectory
{
    /// <summary>
    /// Deletes a fixture's temporary folder. A process that was just stopped (Chromium's helpers, php) can still be
    /// writing into it, and Linux then refuses the last rmdir with "Directory not empty": retry briefly, then leave
    /// the folder to the system's temp cleanup rather than fail a run whose tests all passed.
    /// </summary>
    public static async Task Delete(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 10)
            {
                await Task.Delay(200);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"Left {path} behind: {ex.Message}");
                return;
            }
        }
    }
}
