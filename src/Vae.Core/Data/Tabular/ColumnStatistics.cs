namespace Vae.Core.Data;

/// <summary>
/// What one pass over the training rows learns about a column: Welford's running mean and sum of squared deviations for
/// a number (stable in one pass, so a file need be read only once), the count of each category for text.
/// </summary>
internal sealed class ColumnStatistics(string name)
{
    private readonly Dictionary<string, long> categories = new(StringComparer.Ordinal);
    private long count;
    private double mean;
    private double squaredDeviations;

    public string Name => name;

    /// <summary>Null until the first non-empty value decides it (or the options named the column categorical).</summary>
    public TabularColumnKind? Kind { get; set; }

    /// <summary>The number of distinct categories so far.</summary>
    public int CategoryCount => categories.Count;

    /// <summary>Adds a number; false (and nothing changed) when the running statistics would overflow.</summary>
    public bool AddNumber(double value)
    {
        var n = count + 1;
        var delta = value - mean;
        var newMean = mean + delta / n;
        var newSquares = squaredDeviations + delta * (value - newMean);
        if (!double.IsFinite(newMean) || !double.IsFinite(newSquares)) return false;
        (count, mean, squaredDeviations) = (n, newMean, newSquares);
        return true;
    }

    public void AddCategory(string value)
    {
        categories[value] = categories.TryGetValue(value, out var seen) ? seen + 1 : 1;
        count++;
    }

    public TabularColumn ToColumn(string source)
    {
        if (count == 0 || Kind is null)
            throw new TabularDataException(source, null, name, "the column has no value in any training row.");
        if (Kind == TabularColumnKind.Numeric)
        {
            var deviation = Math.Sqrt(squaredDeviations / count);
            return new TabularColumn(name, TabularColumnKind.Numeric, mean, deviation, [], null);
        }
        var vocabulary = categories.Keys.Order(StringComparer.Ordinal).ToArray();
        var mostFrequent = vocabulary.OrderByDescending(c => categories[c]).First(); // a stable sort: ties stay in ordinal order
        return new TabularColumn(name, TabularColumnKind.Categorical, 0, 0, vocabulary, mostFrequent);
    }
}
