using System.Collections;
using System.Globalization;

namespace Vae.Core;

/// <summary>
/// A read-only copy of a list that compares, hashes and prints by its elements, so that an options record holding it
/// keeps the value equality, hash and <c>ToString</c> the compiler writes for it: the list properties of options store
/// one of these whatever list they were given.
/// </summary>
internal sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] items;

    private ValueList(T[] items) => this.items = items;

    /// <summary>A copy of <paramref name="source"/>; null stays null, so that Validate can name the missing list.</summary>
    public static IReadOnlyList<T> Of(IReadOnlyList<T> source) =>
        source is null ? null! : source as ValueList<T> ?? new ValueList<T>([.. source]);

    /// <inheritdoc />
    public T this[int index] => items[index];

    /// <inheritdoc />
    public int Count => items.Length;

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();

    /// <inheritdoc />
    public bool Equals(ValueList<T>? other) => other is not null && items.AsSpan().SequenceEqual(other.items, EqualityComparer<T>.Default);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in items) hash.Add(item);
        return hash.ToHashCode();
    }

    /// <summary>The elements in brackets, as C# writes a collection: <c>[400, 20]</c>.</summary>
    public override string ToString() =>
        "[" + string.Join(", ", items.Select(item => Convert.ToString(item, CultureInfo.InvariantCulture))) + "]";
}
