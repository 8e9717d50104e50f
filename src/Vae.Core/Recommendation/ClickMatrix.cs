using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// An immutable sparse users x items matrix of implicit feedback in compressed sparse row (CSR) form: for user
/// <c>u</c>, the clicked items are <c>ItemIndices[RowPointers[u] .. RowPointers[u + 1]]</c>, sorted ascending and
/// without repeats. A matrix is either binary (every stored click counts 1) or carries one value per click.
/// </summary>
/// <remarks>
/// Memory grows with the number of clicks, not with users x items: only <see cref="ToDense(int, int)"/> and its
/// overloads make a dense tensor, and only of the rows asked for, so a model sees one batch of users at a time.
/// </remarks>
public sealed class ClickMatrix : TrainingData
{
    private readonly int[] _rowPointers;
    private readonly int[] _itemIndices;
    private readonly float[]? _values;

    private ClickMatrix(int userCount, int itemCount, int[] rowPointers, int[] itemIndices, float[]? values)
    {
        UserCount = userCount;
        ItemCount = itemCount;
        _rowPointers = rowPointers;
        _itemIndices = itemIndices;
        _values = values;
    }

    /// <summary>The number of rows (users), empty rows included.</summary>
    public int UserCount { get; }

    /// <summary>The number of users, as <see cref="VaeTrainer"/> counts the samples it shuffles (<see cref="UserCount"/>).</summary>
    public override long Count => UserCount;

    /// <summary>The number of columns (items).</summary>
    public int ItemCount { get; }

    /// <summary>The number of stored clicks (non-zero entries) after duplicates were merged.</summary>
    public int ClickCount => _itemIndices.Length;

    /// <summary>True when every click carries its own value; false for a binary matrix, where every click counts 1.</summary>
    public bool HasValues => _values is not null;

    /// <summary>The <see cref="UserCount"/> + 1 offsets into <see cref="ItemIndices"/> at which each row starts.</summary>
    public ReadOnlySpan<int> RowPointers => _rowPointers;

    /// <summary>The item of every click, row after row, ascending within a row.</summary>
    public ReadOnlySpan<int> ItemIndices => _itemIndices;

    /// <summary>The value of every click, aligned with <see cref="ItemIndices"/>; empty for a binary matrix.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>An empty binary matrix of the given shape.</summary>
    /// <param name="userCount">Rows, zero or more.</param>
    /// <param name="itemCount">Columns, zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static ClickMatrix Empty(int userCount, int itemCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(userCount);
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        return new ClickMatrix(userCount, itemCount, new int[userCount + 1], [], null);
    }

    /// <summary>
    /// Builds a binary matrix from (user, item) pairs in any order; a pair given more than once is one click, as
    /// implicit feedback records whether a user interacted with an item, not how often.
    /// </summary>
    /// <param name="userCount">Rows; every user must be in <c>[0, userCount)</c>.</param>
    /// <param name="itemCount">Columns; every item must be in <c>[0, itemCount)</c>.</param>
    /// <param name="users">The user of each pair.</param>
    /// <param name="items">The item of each pair, aligned with <paramref name="users"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    /// <exception cref="ArgumentException">The spans differ in length, or a pair is out of range; the message names the pair.</exception>
    public static ClickMatrix FromPairs(int userCount, int itemCount, ReadOnlySpan<int> users, ReadOnlySpan<int> items) =>
        Build(userCount, itemCount, users, items, null);

    /// <summary>
    /// Builds a matrix with a value per click from (user, item, value) triples in any order; the values of a pair
    /// given more than once are summed, as a sparse matrix built from coordinates does.
    /// </summary>
    /// <param name="userCount">Rows; every user must be in <c>[0, userCount)</c>.</param>
    /// <param name="itemCount">Columns; every item must be in <c>[0, itemCount)</c>.</param>
    /// <param name="users">The user of each triple.</param>
    /// <param name="items">The item of each triple.</param>
    /// <param name="values">The finite value of each triple.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    /// <exception cref="ArgumentException">
    /// The spans differ in length, a pair is out of range or a value is not finite; the message names the triple.
    /// </exception>
    public static ClickMatrix FromTriples(
        int userCount, int itemCount, ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<float> values)
    {
        if (values.Length != users.Length)
            throw new ArgumentException($"{values.Length} values were given for {users.Length} users; give one value per click.", nameof(values));
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"The value of click {i} is {values[i]}; values must be finite.", nameof(values));
        }
        return Build(userCount, itemCount, users, items, values.ToArray());
    }

    /// <summary>The items user <paramref name="user"/> clicked, ascending.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is not a row of this matrix.</exception>
    public ReadOnlySpan<int> ItemsOf(int user)
    {
        CheckUser(user);
        return _itemIndices.AsSpan(_rowPointers[user], _rowPointers[user + 1] - _rowPointers[user]);
    }

    /// <summary>The values of the clicks of <paramref name="user"/>, aligned with <see cref="ItemsOf"/>; all ones for a binary matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is not a row of this matrix.</exception>
    public float[] ValuesOf(int user)
    {
        CheckUser(user);
        var (start, end) = (_rowPointers[user], _rowPointers[user + 1]);
        if (_values is null)
        {
            var ones = new float[end - start];
            Array.Fill(ones, 1f);
            return ones;
        }
        return _values[start..end];
    }

    /// <summary>The number of items user <paramref name="user"/> clicked.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is not a row of this matrix.</exception>
    public int CountOf(int user)
    {
        CheckUser(user);
        return _rowPointers[user + 1] - _rowPointers[user];
    }

    /// <summary>Whether user <paramref name="user"/> clicked item <paramref name="item"/> (a binary search in the row).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The user or the item is out of range.</exception>
    public bool Contains(int user, int item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(item, ItemCount);
        return ItemsOf(user).BinarySearch(item) >= 0;
    }

    /// <summary>For every item, the number of users who clicked it: the item's popularity.</summary>
    public int[] UsersPerItem()
    {
        var counts = new int[ItemCount];
        foreach (var item in _itemIndices)
            counts[item]++;
        return counts;
    }

    /// <summary>The rows <c>[firstUser, firstUser + count)</c> as a new matrix of <paramref name="count"/> users.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the matrix.</exception>
    public ClickMatrix SliceRows(int firstUser, int count)
    {
        CheckRange(firstUser, count);
        var (start, end) = (_rowPointers[firstUser], _rowPointers[firstUser + count]);
        var pointers = new int[count + 1];
        for (var r = 0; r <= count; r++)
            pointers[r] = _rowPointers[firstUser + r] - start;
        return new ClickMatrix(count, ItemCount, pointers, _itemIndices[start..end], _values?[start..end]);
    }

    /// <summary>The same clicks with other values (aligned with <see cref="ItemIndices"/>): a weighting of this matrix.</summary>
    internal ClickMatrix WithValues(float[] values)
    {
        if (values.Length != _itemIndices.Length)
            throw new ArgumentException($"{values.Length} values were given for {_itemIndices.Length} clicks.", nameof(values));
        return new ClickMatrix(UserCount, ItemCount, _rowPointers, _itemIndices, values);
    }

    /// <summary>The given rows, in the given order (repeats allowed), as a new matrix: a batch of users.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A user is not a row of this matrix.</exception>
    public ClickMatrix SelectRows(ReadOnlySpan<int> users)
    {
        var pointers = new int[users.Length + 1];
        for (var r = 0; r < users.Length; r++)
        {
            CheckUser(users[r], nameof(users));
            pointers[r + 1] = checked(pointers[r] + _rowPointers[users[r] + 1] - _rowPointers[users[r]]);
        }
        var items = new int[pointers[^1]];
        var values = _values is null ? null : new float[items.Length];
        for (var r = 0; r < users.Length; r++)
        {
            var (start, length) = (_rowPointers[users[r]], pointers[r + 1] - pointers[r]);
            Array.Copy(_itemIndices, start, items, pointers[r], length);
            if (values is not null)
                Array.Copy(_values!, start, values, pointers[r], length);
        }
        return new ClickMatrix(users.Length, ItemCount, pointers, items, values);
    }

    /// <summary>
    /// The rows <c>[firstUser, firstUser + count)</c> as a dense float32 tensor <c>[count, ItemCount]</c>: the click
    /// values (1 for a binary matrix) at the clicked items, 0 elsewhere. The caller owns the tensor.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the matrix.</exception>
    /// <exception cref="ArgumentException">The batch is too large to hold densely; the message says how large.</exception>
    public Tensor ToDense(int firstUser, int count)
    {
        CheckRange(firstUser, count);
        return Densify(count, r => firstUser + r, normalize: false);
    }

    /// <summary>The given rows, in the given order, as a dense float32 tensor <c>[users.Length, ItemCount]</c>; see <see cref="ToDense(int, int)"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A user is not a row of this matrix.</exception>
    /// <exception cref="ArgumentException">The batch is too large to hold densely; the message says how large.</exception>
    public Tensor ToDense(ReadOnlySpan<int> users)
    {
        var rows = CheckedUsers(users);
        return Densify(rows.Length, r => rows[r], normalize: false);
    }

    /// <summary>
    /// <see cref="ToDense(int, int)"/> with every row divided by its Euclidean norm, the input normalisation of
    /// Mult-VAE's encoder; a row without clicks stays all zeros instead of becoming NaN.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the matrix.</exception>
    /// <exception cref="ArgumentException">The batch is too large to hold densely; the message says how large.</exception>
    public Tensor ToDenseL2Normalized(int firstUser, int count)
    {
        CheckRange(firstUser, count);
        return Densify(count, r => firstUser + r, normalize: true);
    }

    /// <summary>The given rows as a dense float32 tensor with unit-norm rows; see <see cref="ToDenseL2Normalized(int, int)"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A user is not a row of this matrix.</exception>
    /// <exception cref="ArgumentException">The batch is too large to hold densely; the message says how large.</exception>
    public Tensor ToDenseL2Normalized(ReadOnlySpan<int> users)
    {
        var rows = CheckedUsers(users);
        return Densify(rows.Length, r => rows[r], normalize: true);
    }

    private Tensor Densify(int rowCount, Func<int, int> userOfRow, bool normalize)
    {
        var cells = (long)rowCount * ItemCount;
        if (cells > Array.MaxLength)
            throw new ArgumentException(
                $"A dense batch of {rowCount} users x {ItemCount} items has {cells} cells, more than one array can hold; use smaller batches.");
        var dense = new float[cells];
        for (var r = 0; r < rowCount; r++)
        {
            var user = userOfRow(r);
            var (start, end) = (_rowPointers[user], _rowPointers[user + 1]);
            var scale = 1.0;
            if (normalize && end > start)
            {
                var squares = 0.0;
                for (var i = start; i < end; i++)
                {
                    var v = _values is null ? 1.0 : _values[i];
                    squares += v * v;
                }
                scale = squares > 0 ? 1.0 / Math.Sqrt(squares) : 1.0;
            }
            var rowOffset = (long)r * ItemCount;
            for (var i = start; i < end; i++)
                dense[rowOffset + _itemIndices[i]] = (float)((_values is null ? 1.0 : _values[i]) * scale);
        }
        VaeRuntime.EnsureNativeLibraryLoadable();
        return torch.tensor(dense, new long[] { rowCount, ItemCount }, ScalarType.Float32);
    }

    private static ClickMatrix Build(int userCount, int itemCount, ReadOnlySpan<int> users, ReadOnlySpan<int> items, float[]? values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(userCount);
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        if (items.Length != users.Length)
            throw new ArgumentException($"{items.Length} items were given for {users.Length} users; give one item per click.", nameof(items));
        var counts = new int[userCount + 1];
        for (var i = 0; i < users.Length; i++)
        {
            if ((uint)users[i] >= (uint)userCount)
                throw new ArgumentException($"Click {i} has user {users[i]}, outside 0-{userCount - 1}.", nameof(users));
            if ((uint)items[i] >= (uint)itemCount)
                throw new ArgumentException($"Click {i} has item {items[i]}, outside 0-{itemCount - 1}.", nameof(items));
            counts[users[i] + 1]++;
        }
        for (var u = 0; u < userCount; u++)
            counts[u + 1] += counts[u];

        // A counting sort by user, then a sort by item within each row, costs O(clicks + sum of row log row).
        var next = counts[..^1];
        var sortedItems = new int[users.Length];
        var sortedValues = values is null ? null : new float[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            var slot = next[users[i]]++;
            sortedItems[slot] = items[i];
            if (sortedValues is not null)
                sortedValues[slot] = values![i];
        }

        var pointers = new int[userCount + 1];
        var write = 0;
        for (var u = 0; u < userCount; u++)
        {
            var (start, end) = (counts[u], counts[u + 1]);
            if (sortedValues is null)
                Array.Sort(sortedItems, start, end - start);
            else
                Array.Sort(sortedItems, sortedValues, start, end - start);
            for (var i = start; i < end; i++)
            {
                if (write > pointers[u] && sortedItems[write - 1] == sortedItems[i])
                {
                    if (sortedValues is not null)
                        sortedValues[write - 1] += sortedValues[i];
                    continue;
                }
                sortedItems[write] = sortedItems[i];
                if (sortedValues is not null)
                    sortedValues[write] = sortedValues[i];
                write++;
            }
            pointers[u + 1] = write;
        }
        return new ClickMatrix(userCount, itemCount, pointers, sortedItems[..write], sortedValues?[..write]);
    }

    private int[] CheckedUsers(ReadOnlySpan<int> users)
    {
        foreach (var user in users)
            CheckUser(user, nameof(users));
        return users.ToArray();
    }

    private void CheckUser(int user, string name = "user")
    {
        if ((uint)user >= (uint)UserCount)
            throw new ArgumentOutOfRangeException(name, user, $"User {user} is not a row of this {UserCount}-user matrix.");
    }

    private void CheckRange(int firstUser, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstUser);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)firstUser + count > UserCount)
            throw new ArgumentOutOfRangeException(
                nameof(count), count, $"Rows {firstUser}-{(long)firstUser + count - 1} do not lie within this {UserCount}-user matrix.");
    }
}
