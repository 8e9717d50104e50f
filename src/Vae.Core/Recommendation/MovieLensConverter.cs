using System.Globalization;

namespace Vae.Core.Recommendation;

/// <summary>
/// Turns a MovieLens <c>ratings.csv</c> (header <c>userId,movieId,rating,timestamp</c>, as in ML-20M, ML-25M and
/// ml-latest) into the folder layout of the Mult-VAE reference preprocessing: ratings above
/// <see cref="DefaultClickThreshold"/> are clicks, then <see cref="ReferenceSplit"/> and
/// <see cref="ImplicitFeedbackFolder.Write"/>. MovieLens may not be redistributed, so download it yourself.
/// </summary>
public static class MovieLensConverter
{
    /// <summary>The header MovieLens rating files start with.</summary>
    public const string Header = "userId,movieId,rating,timestamp";

    /// <summary>Ratings strictly above this are clicks (4 stars and up on ML-20M's half-star scale), as in the reference.</summary>
    public const double DefaultClickThreshold = 3.5;

    /// <summary>Reads the ratings, splits them and writes the layout into <paramref name="outputFolder"/>.</summary>
    /// <param name="ratingsPath">The MovieLens <c>ratings.csv</c>.</param>
    /// <param name="outputFolder">Where to write the six files; created when missing. Nothing is written unless reading and splitting succeed.</param>
    /// <param name="options">The split; the reference's (10,000 validation and 10,000 test users) by default.</param>
    /// <param name="clickThreshold">Ratings strictly above it are clicks.</param>
    /// <returns>The split as written.</returns>
    /// <exception cref="FileNotFoundException">The ratings file does not exist.</exception>
    /// <exception cref="InvalidDataException">The ratings file is malformed; the message names the line and column.</exception>
    /// <exception cref="ArgumentException">Too few users remain for the requested held-out sets, or an option is out of range.</exception>
    public static ImplicitFeedbackData Convert(string ratingsPath, string outputFolder, ReferenceSplitOptions? options = null,
        double clickThreshold = DefaultClickThreshold)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        var (users, items) = ReadClicks(ratingsPath, clickThreshold);
        var data = ReferenceSplit.Split(users, items, options);
        ImplicitFeedbackFolder.Write(data, outputFolder);
        return data;
    }

    /// <summary>The clicks of a MovieLens ratings file, in file order: the user and movie of every rating above <paramref name="clickThreshold"/>.</summary>
    /// <param name="ratingsPath">The MovieLens <c>ratings.csv</c>.</param>
    /// <param name="clickThreshold">Ratings strictly above it are clicks.</param>
    /// <exception cref="FileNotFoundException">The ratings file does not exist.</exception>
    /// <exception cref="InvalidDataException">The ratings file is malformed; the message names the line and column.</exception>
    public static (long[] Users, long[] Items) ReadClicks(string ratingsPath, double clickThreshold = DefaultClickThreshold)
    {
        ArgumentException.ThrowIfNullOrEmpty(ratingsPath);
        if (!File.Exists(ratingsPath))
            throw new FileNotFoundException($"The ratings file '{ratingsPath}' does not exist.", ratingsPath);
        var (users, items) = (new List<long>(), new List<long>());
        var lineNumber = 0;
        Span<Range> fields = stackalloc Range[5];
        foreach (var rawLine in File.ReadLines(ratingsPath))
        {
            lineNumber++;
            if (lineNumber == 1)
            {
                if (rawLine.TrimStart('\uFEFF').Trim() != Header)
                    throw Invalid(ratingsPath, 1, null, $"the header is '{rawLine}' but must be '{Header}'");
                continue;
            }
            if (string.IsNullOrWhiteSpace(rawLine))
                continue;
            var line = rawLine.AsSpan();
            if (line.Split(fields, ',') != 4)
                throw Invalid(ratingsPath, lineNumber, null, $"'{rawLine}' does not have the four fields {Header}");
            var user = ParseId(ratingsPath, lineNumber, 1, "userId", line[fields[0]]);
            var movie = ParseId(ratingsPath, lineNumber, 2, "movieId", line[fields[1]]);
            if (!double.TryParse(line[fields[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out var rating) || !double.IsFinite(rating))
                throw Invalid(ratingsPath, lineNumber, 3, $"rating '{line[fields[2]].ToString()}' is not a number");
            if (rating > clickThreshold)
            {
                users.Add(user);
                items.Add(movie);
            }
        }
        if (lineNumber == 0)
            throw Invalid(ratingsPath, 1, null, $"the file is empty; it must start with the header '{Header}'");
        return (users.ToArray(), items.ToArray());
    }

    private static long ParseId(string path, int line, int column, string name, ReadOnlySpan<char> field)
    {
        if (!long.TryParse(field, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw Invalid(path, line, column, $"{name} '{field.ToString()}' is not an integer");
        return value;
    }

    private static InvalidDataException Invalid(string path, int line, int? column, string problem) =>
        new($"{path}, line {line}{(column is { } c ? $", column {c}" : "")}: {problem}.");
}
