using System.Globalization;
using System.Text;

namespace Vae.Core.Recommendation;

/// <summary>
/// Reads and writes the folder layout of the Mult-VAE reference preprocessing (github.com/dawenl/vae_cf):
/// <c>unique_sid.txt</c> (one original item id a line; line <c>i</c> is item <c>i</c>), and <c>train.csv</c>,
/// <c>validation_tr.csv</c>, <c>validation_te.csv</c>, <c>test_tr.csv</c>, <c>test_te.csv</c>, each with the header
/// <c>uid,sid</c> and one click a line as two non-negative integers.
/// </summary>
/// <remarks>
/// Users are the distinct ids of <c>train.csv</c> and of each <c>_tr</c>/<c>_te</c> pair, in ascending order and
/// renumbered densely (<see cref="ImplicitFeedbackData.TrainUserIds"/>, <see cref="HeldOutUsers.UserIds"/>): an id is
/// never a row index, so one huge id costs one row. For the contiguous ids the reference preprocessing writes, the
/// rows are the reference loader's. Items are the lines of <c>unique_sid.txt</c>: a <c>sid</c> is a line number below
/// the item count, never a size. A click given
/// twice counts once; a held-out click must not also be a fold-in click of the same user. Every problem with a file is an <see cref="InvalidDataException"/> naming the file, the line
/// and, where it applies, the column.
/// </remarks>
public static class ImplicitFeedbackFolder
{
    /// <summary>The item list: one original item id a line.</summary>
    public const string ItemsFile = "unique_sid.txt";

    /// <summary>All clicks of the training users.</summary>
    public const string TrainFile = "train.csv";

    /// <summary>The fold-in clicks of the validation users.</summary>
    public const string ValidationFoldInFile = "validation_tr.csv";

    /// <summary>The held-out clicks of the validation users.</summary>
    public const string ValidationHeldOutFile = "validation_te.csv";

    /// <summary>The fold-in clicks of the test users.</summary>
    public const string TestFoldInFile = "test_tr.csv";

    /// <summary>The held-out clicks of the test users.</summary>
    public const string TestHeldOutFile = "test_te.csv";

    /// <summary>The header every click file starts with.</summary>
    public const string Header = "uid,sid";

    /// <summary>The largest user id accepted; far above any real data set, it catches garbage such as a mistyped column. An id costs one row whatever its size.</summary>
    public const int MaxUserId = 100_000_000;

    /// <summary>Reads a folder in the reference layout.</summary>
    /// <param name="folder">The folder holding the six files.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names the file, line and column.</exception>
    public static ImplicitFeedbackData Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The data folder '{folder}' does not exist.");
        foreach (var name in new[] { ItemsFile, TrainFile, ValidationFoldInFile, ValidationHeldOutFile, TestFoldInFile, TestHeldOutFile })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
                throw new FileNotFoundException($"The data folder '{folder}' has no {name}; it needs {ItemsFile}, {TrainFile}, {ValidationFoldInFile}, {ValidationHeldOutFile}, {TestFoldInFile} and {TestHeldOutFile}.", path);
        }
        var itemIds = ReadItemIds(Path.Combine(folder, ItemsFile));
        var train = ReadClicks(Path.Combine(folder, TrainFile), itemIds.Count);
        var trainUserIds = HeldOutUsers.DistinctAscending(train.Users);
        var rowOf = HeldOutUsers.RowsOf(trainUserIds);
        var trainMatrix = ClickMatrix.FromPairs(trainUserIds.Length, itemIds.Count,
            train.Users.Select(u => rowOf[u]).ToArray(), train.Items.ToArray());
        var validation = ReadHeldOut(folder, ValidationFoldInFile, ValidationHeldOutFile, itemIds.Count);
        var test = ReadHeldOut(folder, TestFoldInFile, TestHeldOutFile, itemIds.Count);
        return new ImplicitFeedbackData(itemIds, trainMatrix, trainUserIds, validation, test);
    }

    /// <summary>
    /// Writes <paramref name="data"/> in the reference layout, one click a line, users ascending and items ascending
    /// within a user. All six files are first written under temporary names and renamed only once all are complete,
    /// so a failure while writing leaves the files already in the folder as they were.
    /// </summary>
    /// <param name="data">The split to write.</param>
    /// <param name="folder">The folder, created when missing; files of the layout in it are replaced.</param>
    /// <exception cref="ArgumentException">An item id is empty, has surrounding spaces or a line break, which the item list cannot hold.</exception>
    public static void Write(ImplicitFeedbackData data, string folder)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        for (var i = 0; i < data.ItemIds.Count; i++)
        {
            var id = data.ItemIds[i];
            if (id.Length == 0 || id.Trim().Length != id.Length || id.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new ArgumentException($"Item id {i} ('{id}') is empty, has surrounding spaces or a line break; {ItemsFile} holds one trimmed id a line.", nameof(data));
        }
        Directory.CreateDirectory(folder);
        var files = new (string Name, Action<TextWriter> Write)[]
        {
            (ItemsFile, writer =>
            {
                foreach (var id in data.ItemIds)
                    writer.Write(id + "\n");
            }),
            (TrainFile, writer => WriteClicks(writer, data.Train, data.TrainUserIds)),
            (ValidationFoldInFile, writer => WriteClicks(writer, data.Validation.FoldIn, data.Validation.UserIds)),
            (ValidationHeldOutFile, writer => WriteClicks(writer, data.Validation.HeldOut, data.Validation.UserIds)),
            (TestFoldInFile, writer => WriteClicks(writer, data.Test.FoldIn, data.Test.UserIds)),
            (TestHeldOutFile, writer => WriteClicks(writer, data.Test.HeldOut, data.Test.UserIds)),
        };
        var temporaries = files.Select(f => Path.Combine(folder, f.Name + ".tmp")).ToArray();
        try
        {
            for (var i = 0; i < files.Length; i++)
            {
                using var writer = new StreamWriter(temporaries[i], append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                files[i].Write(writer);
            }
            for (var i = 0; i < files.Length; i++)
                File.Move(temporaries[i], Path.Combine(folder, files[i].Name), overwrite: true);
        }
        finally
        {
            foreach (var temporary in temporaries.Where(File.Exists))
                File.Delete(temporary);
        }
    }

    private static void WriteClicks(TextWriter writer, ClickMatrix clicks, IReadOnlyList<int> userIds)
    {
        writer.Write(Header + "\n");
        for (var row = 0; row < clicks.UserCount; row++)
        {
            var uid = userIds[row].ToString(CultureInfo.InvariantCulture);
            foreach (var item in clicks.ItemsOf(row))
                writer.Write(uid + "," + item.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    private static List<string> ReadItemIds(string path)
    {
        var ids = new List<string>();
        var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            var id = line.Trim();
            if (id.Length == 0)
                throw Invalid(path, lineNumber, null, "the line is empty; every line must hold one item id");
            if (lineOf.TryGetValue(id, out var first))
                throw Invalid(path, lineNumber, null, $"item id '{id}' was already listed on line {first}");
            lineOf[id] = lineNumber;
            ids.Add(id);
        }
        if (ids.Count == 0)
            throw Invalid(path, 1, null, "the file lists no items");
        return ids;
    }

    private static HeldOutUsers ReadHeldOut(string folder, string foldInName, string heldOutName, int itemCount)
    {
        var foldInPath = Path.Combine(folder, foldInName);
        var heldOutPath = Path.Combine(folder, heldOutName);
        var foldIn = ReadClicks(foldInPath, itemCount);
        var heldOut = ReadClicks(heldOutPath, itemCount);
        var withFoldIn = foldIn.Users.ToHashSet();
        var foldInLine = new Dictionary<(int User, int Item), int>();
        for (var i = 0; i < foldIn.Users.Count; i++)
            foldInLine.TryAdd((foldIn.Users[i], foldIn.Items[i]), foldIn.Lines[i]);
        for (var i = 0; i < heldOut.Users.Count; i++)
        {
            if (!withFoldIn.Contains(heldOut.Users[i]))
                throw Invalid(heldOutPath, heldOut.Lines[i], 1,
                    $"user {heldOut.Users[i]} has held-out clicks but no fold-in clicks in {foldInName}; a model cannot recommend from an empty history");
            // The evaluation never ranks a fold-in item, so such a held-out click could never be hit.
            if (foldInLine.TryGetValue((heldOut.Users[i], heldOut.Items[i]), out var line))
                throw Invalid(heldOutPath, heldOut.Lines[i], 2,
                    $"user {heldOut.Users[i]}'s item {heldOut.Items[i]} is also a fold-in click ({foldInName}, line {line}); the two parts must be disjoint");
        }
        return HeldOutUsers.FromUserIds(foldIn.Users, foldIn.Items, heldOut.Users, heldOut.Items, itemCount);
    }

    private sealed record Clicks(List<int> Users, List<int> Items, List<int> Lines);

    private static Clicks ReadClicks(string path, int itemCount)
    {
        var clicks = new Clicks([], [], []);
        var lineNumber = 0;
        foreach (var rawLine in File.ReadLines(path))
        {
            lineNumber++;
            var line = lineNumber == 1 ? rawLine.TrimStart('\uFEFF') : rawLine;
            if (lineNumber == 1)
            {
                if (line.Trim() != Header)
                    throw Invalid(path, 1, null, $"the header is '{line}' but must be '{Header}'");
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var comma = line.IndexOf(',');
            if (comma < 0 || line.IndexOf(',', comma + 1) >= 0)
                throw Invalid(path, lineNumber, null, $"'{line}' does not have exactly two comma-separated fields (uid,sid)");
            var uid = ParseId(path, lineNumber, 1, "uid", line.AsSpan(0, comma));
            var sid = ParseId(path, lineNumber, 2, "sid", line.AsSpan(comma + 1));
            if (uid > MaxUserId)
                throw Invalid(path, lineNumber, 1, $"uid {uid} is above {MaxUserId}, the largest user id accepted");
            if (sid >= itemCount)
                throw Invalid(path, lineNumber, 2, $"sid {sid} is outside 0-{itemCount - 1}; {ItemsFile} lists {itemCount} items");
            clicks.Users.Add(uid);
            clicks.Items.Add(sid);
            clicks.Lines.Add(lineNumber);
        }
        if (lineNumber == 0)
            throw Invalid(path, 1, null, $"the file is empty; it must start with the header '{Header}'");
        return clicks;
    }

    private static int ParseId(string path, int line, int column, string name, ReadOnlySpan<char> field)
    {
        if (!int.TryParse(field, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw Invalid(path, line, column, $"{name} '{field.ToString()}' is not an integer");
        if (value < 0)
            throw Invalid(path, line, column, $"{name} {value} is negative; ids start at 0");
        return value;
    }

    private static InvalidDataException Invalid(string path, int line, int? column, string problem) =>
        new($"{path}, line {line}{(column is { } c ? $", column {c}" : "")}: {problem}.");
}
