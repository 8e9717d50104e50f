using System.Globalization;

namespace Vae.Core.TimeSeries;

/// <summary>Timestamp and number formats of NAB's CSV and JSON files.</summary>
internal static class NabCsv
{
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF"];

    public static DateTime ParseTimestamp(string text, string source) =>
        DateTime.TryParseExact(text.Trim(), TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new FormatException($"{source}: '{text}' is not a timestamp in NAB's format yyyy-MM-dd HH:mm:ss.");

    public static double ParseDouble(string text, string source) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{source}: '{text}' is not a number.");

    public static string FormatTimestamp(DateTime value) =>
        value.ToString(value.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);

    public static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static int[] ColumnIndices(string headerLine, string source, params string[] names)
    {
        var header = headerLine.Split(',').Select(h => h.Trim()).ToList();
        var indices = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            indices[i] = header.IndexOf(names[i]);
            if (indices[i] < 0)
            {
                throw new FormatException($"{source}: no '{names[i]}' column in the header '{headerLine}'.");
            }
        }

        return indices;
    }
}
