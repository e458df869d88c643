namespace ReHome.Tests.Infrastructure;

/// <summary>
/// Finds the built Silo and Gateway next to the tests: the test project references both, so building the tests
/// (as <c>dotnet test</c> does on a clean clone) builds them, in the same configuration, into their own bin folders.
/// </summary>
public static class BuiltApps
{
    public static string Silo => Find("Silo", "ReHome.Silo.dll");

    public static string Gateway => Find("Gateway", "ReHome.Gateway.dll");

    public static string Smoke => Find(Path.Combine("deploy", "Smoke"), "ReHome.Smoke.dll");

    public static string ProducerExample => Find(Path.Combine("examples", "dotnet-producer"), "ReHome.Examples.Producer.dll");

    private static string Find(string project, string dll)
    {
        // The tests run from Tests/bin/<Configuration>/<tfm>/.
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testDirectory.Name;
        var configuration = testDirectory.Parent!.Name;
        var path = Path.Combine(RepositoryRoot(testDirectory), project, "bin", configuration, tfm, dll);
        return File.Exists(path) ? path
            : throw new FileNotFoundException($"{dll} is not built at {path}; build the solution (dotnet build) first.", path);
    }

    private static string RepositoryRoot(DirectoryInfo from)
    {
        for (var dir = from; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReHome.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No ReHome.Orleans.sln above {from.FullName}.");
    }
}
