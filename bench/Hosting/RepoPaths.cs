namespace ReHome.Bench.Hosting;

/// <summary>Where the repository and the built silo, gateway and bench assemblies are.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the bench itself was built in; the silo and gateway are built alongside it.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name is { } name && name is "Release" or "Debug" ? name : "Release";

    public static string Silo => Built("Silo", "ReHome.Silo.dll");

    public static string Gateway => Built("Gateway", "ReHome.Gateway.dll");

    public static string Bench => Path.Combine(AppContext.BaseDirectory, "ReHome.Bench.dll");

    private static string Built(string project, string assembly)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing; build the solution in {Configuration} first (dotnet build -c {Configuration}).");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReHome.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find ReHome.Orleans.sln above " + AppContext.BaseDirectory);
    }
}
