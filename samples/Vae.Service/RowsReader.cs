using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vae.Service;

/// <summary>
/// Rows of numbers from a request body: JSON (<c>{"rows": [[...], ...]}</c> or a bare array of arrays) or CSV (one row
/// a line, an optional header line of names). Their width is the library's to check, so its message names the row.
/// </summary>
internal static class RowsReader
{
    /// <summary>The most bytes a body may have; larger bodies are refused before they are read.</summary>
    public const int MaxBytes = 16 << 20;

    /// <exception cref="BadInputException">The body is empty, too large, or not JSON or CSV numbers; the message says where.</exception>
    public static async Task<float[][]> Read(HttpRequest request)
    {
        if (request.ContentLength > MaxBytes) throw new BadInputException($"The body has {request.ContentLength} bytes; at most {MaxBytes} are read.");
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (text.Length > MaxBytes) throw new BadInputException($"The body has more than {MaxBytes} characters.");
        var type = request.ContentType ?? "";
        // JSON when said so; CSV when said so; otherwise by the first character.
        var json = type.Contains("json", StringComparison.OrdinalIgnoreCase)
            || (!type.Contains("csv", StringComparison.OrdinalIgnoreCase) && text.TrimStart() is ['[' or '{', ..]);
        var rows = json ? Json(text) : Csv(text);
        if (rows.Length == 0) throw new BadInputException("The body holds no rows.");
        return rows;
    }

    /// <summary>The rows as one <c>[N, width]</c> tensor, whose width the library then checks against the model.</summary>
    /// <exception cref="BadInputException">The rows are ragged.</exception>
    public static TorchSharp.torch.Tensor ToTensor(float[][] rows)
    {
        var width = rows[0].Length;
        for (var i = 1; i < rows.Length; i++)
            if (rows[i].Length != width) throw new BadInputException($"Row {i} has {rows[i].Length} values, but row 0 has {width}.");
        var values = new float[rows.Length * width];
        for (var i = 0; i < rows.Length; i++) rows[i].CopyTo(values, i * width);
        return TorchSharp.torch.tensor(values, [rows.Length, width]);
    }

    public static float[][] Json(string text)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BadInputException($"The body is not valid JSON: {e.Message}");
        }
        if (root.ValueKind == JsonValueKind.Object)
            root = root.TryGetProperty("rows", out var rows) ? rows : throw new BadInputException("The JSON object has no \"rows\" property: send {\"rows\": [[...], ...]}.");
        if (root.ValueKind != JsonValueKind.Array) throw new BadInputException($"The rows must be a JSON array of arrays of numbers, but are a {root.ValueKind}.");
        var result = new float[root.GetArrayLength()][];
        var i = 0;
        foreach (var row in root.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array) throw new BadInputException($"Row {i} must be an array of numbers, but is a {row.ValueKind}.");
            var values = new float[row.GetArrayLength()];
            var j = 0;
            foreach (var value in row.EnumerateArray())
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out values[j]))
                    throw new BadInputException($"Row {i}, value {j}: {value.GetRawText()} is not a number.");
                j++;
            }
            result[i++] = values;
        }
        return result;
    }

    public static float[][] Csv(string text)
    {
        var rows = new List<float[]>();
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var fields = line.Split(',');
            // A first line of names is a header.
            if (rows.Count == 0 && n == FirstNonEmpty(lines) && fields.All(f => !float.TryParse(f.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
                continue;
            var values = new float[fields.Length];
            for (var c = 0; c < fields.Length; c++)
            {
                if (!float.TryParse(fields[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]))
                    throw new BadInputException($"CSV line {n + 1}, column {c + 1}: '{fields[c].Trim()}' is not a number.");
            }
            rows.Add(values);
        }
        return [.. rows];
    }

    private static int FirstNonEmpty(string[] lines)
    {
        for (var n = 0; n < lines.Length; n++) if (lines[n].Trim().Length > 0) return n;
        return -1;
    }
}
