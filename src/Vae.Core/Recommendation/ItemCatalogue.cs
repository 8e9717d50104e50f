using System.Security.Cryptography;
using System.Text;

namespace Vae.Core.Recommendation;

/// <summary>
/// The items a catalogue-sized model scores: the original id of every column, checked to be unique, the column of an
/// id, and a short hash of the ids that checkpoints name the catalogue by.
/// </summary>
internal sealed class ItemCatalogue
{
    private readonly Lazy<Dictionary<string, int>> _columnOfId;

    /// <exception cref="ArgumentException">No items, or an id repeats.</exception>
    public ItemCatalogue(IReadOnlyList<string> itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        if (itemIds.Count == 0)
            throw new ArgumentException("A model needs at least one item.", nameof(itemIds));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in itemIds)
        {
            if (!seen.Add(id))
                throw new ArgumentException($"Item id '{id}' is listed twice; every item needs its own id.", nameof(itemIds));
        }
        var ids = itemIds.ToArray();
        Ids = ids;
        _columnOfId = new(() => ids.Select((id, column) => (id, column)).ToDictionary(p => p.id, p => p.column, StringComparer.Ordinal));
    }

    /// <summary>The original id of every item, in column order.</summary>
    public IReadOnlyList<string> Ids { get; }

    public int Count => Ids.Count;

    /// <summary>The column of every id.</summary>
    public IReadOnlyDictionary<string, int> ColumnOfId => _columnOfId.Value;

    /// <summary>The first 16 hex digits of the SHA-256 of the ids (each followed by a zero byte): the same shapes over another catalogue are another model.</summary>
    public string IdsHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in Ids)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(id));
            sha.AppendData([0]);
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
