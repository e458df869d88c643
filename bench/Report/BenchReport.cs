using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReHome.Bench.Report;

/// <summary>Everything one bench command measured, written as JSON and as Markdown.</summary>
public sealed class BenchReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public required string Command { get; init; }
    public required DateTimeOffset Date { get; init; }
    public required MachineInfo Machine { get; init; }
    public required Dictionary<string, string> Settings { get; init; }
    public List<ScenarioSection> Scenarios { get; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>One scenario's results: ReHome's and the baseline's, and what was scaled down or went wrong.</summary>
public sealed class ScenarioSection(string name)
{
    public string Name { get; } = name;
    public List<object> Results { get; } = [];
    public List<string> Notes { get; } = [];
}
