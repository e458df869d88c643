using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReHome.Smoke;

/// <summary>How the HTTP producer API writes its answers: camelCase, and enums such as a stream's <c>reason</c> as their names.</summary>
internal static class SmokeJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
