using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Vae.Samples;

/// <summary>
/// The one JSON line the samples print with --json. JSON has no NaN or infinity, and System.Text.Json throws on them
/// ("... cannot be written as valid JSON"): here a figure that is not finite is written as <c>null</c>, and a field
/// beside it, its name followed by <c>_note</c>, says why (<c>"test_elbo_note": "not finite: NaN"</c>), so a run
/// that diverged still reports the rest of its figures.
/// </summary>
internal static class JsonLine
{
    /// <summary>The suffix of the field that explains a null figure.</summary>
    public const string NoteSuffix = "_note";

    /// <summary>The settings of every sample's JSON: a non-finite number anywhere (also in a list) becomes null.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>The top-level properties of <paramref name="figures"/> (an anonymous object) as one line of JSON.</summary>
    public static string Serialize(object figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var line = new JsonObject();
        foreach (var property in figures.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var value = property.GetValue(figures);
            line[property.Name] = JsonSerializer.SerializeToNode(value, property.PropertyType, Options);
            if (NotFinite(value) is { } why) line[property.Name + NoteSuffix] = why;
        }
        return line.ToJsonString(Options);
    }

    /// <summary>"not finite: NaN" (or Infinity, -Infinity) for a figure JSON cannot hold, else null.</summary>
    public static string? NotFinite(object? value) => value switch
    {
        double d when !double.IsFinite(d) => "not finite: " + d.ToString(CultureInfo.InvariantCulture),
        float f when !float.IsFinite(f) => "not finite: " + f.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions();
        options.Converters.Add(new FiniteDouble());
        options.Converters.Add(new FiniteSingle());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class FiniteDouble : JsonConverter<double>
    {
        public override bool HandleNull => false;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    private sealed class FiniteSingle : JsonConverter<float>
    {
        public override bool HandleNull => false;

        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
