using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// What <see cref="MultVae"/> and <see cref="RecVae"/> have in common: a catalogue of items in their own ids, the
/// scores of every item for a batch of users, top-k lists by rows of a <see cref="ClickMatrix"/> or from one user's
/// clicked ids, a model file, and weights to free. Hold either model as this type to recommend with it.
/// </summary>
/// <remarks>Scoring and recommending are thread-safe; training is not, and a model must not be scored while it trains.</remarks>
public abstract class VaeRecommender : IRecommender, IDisposable
{
    private readonly ItemCatalogue _catalogue;
    private bool _disposed;

    private protected VaeRecommender(IReadOnlyList<string> itemIds)
    {
        _catalogue = new ItemCatalogue(itemIds);
        VaeRuntime.EnsureNativeLibraryLoadable();
    }

    /// <inheritdoc/>
    public int ItemCount => _catalogue.Count;

    /// <summary>
    /// Reads a model file of either kind that <see cref="Save"/> writes, a <see cref="MultVae"/> or a <see cref="RecVae"/>,
    /// told apart by the identifier the file starts with: code that recommends from a file need not know which model made it.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <returns>The model, which the caller disposes.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is neither a Mult-VAE nor a RecVAE model file, is damaged, or its weights do not fit its architecture;
    /// the message names the file.
    /// </exception>
    public static VaeRecommender Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The model file '{path}' does not exist.", path);
        Span<byte> identifier = stackalloc byte[ChecksummedContainer.IdentifierSize];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
            read = stream.ReadAtLeast(identifier, identifier.Length, throwOnEndOfStream: false);
        if (MultVae.Container.Identifies(identifier[..read])) return MultVae.Load(path);
        if (RecVae.Container.Identifies(identifier[..read])) return RecVae.Load(path);
        throw new InvalidDataException(
            $"'{path}' is neither a {MultVae.Container.Kind} nor a {RecVae.Container.Kind}: it does not start with the identifier of either.");
    }

    /// <summary>The original id of every item, in column order; saved with the model.</summary>
    public IReadOnlyList<string> ItemIds => _catalogue.Ids;

    internal ItemCatalogue Catalogue => _catalogue;

    /// <summary>
    /// The logits of every item for the users <c>[firstUser, firstUser + count)</c> of <paramref name="history"/>,
    /// computed from the mean of q(z|x) (no dropout, no sampling) as the reference code scores. Items the user clicked
    /// get scores too; <see cref="Recommend(ClickMatrix, int, int)"/> and <see cref="RecommendationEvaluator"/> exclude them.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="history"/> does not have <see cref="ItemCount"/> items.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows do not lie within <paramref name="history"/>.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public Tensor Score(ClickMatrix history, int firstUser, int count)
    {
        ThrowIfDisposed();
        Recommenders.CheckBatch(history, firstUser, count, ItemCount);
        var batch = history.SliceRows(firstUser, count);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return ScoreBatch(batch).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The <paramref name="k"/> best items for every user of <paramref name="history"/> that the user has not clicked,
    /// best first, with their scores; users are scored <paramref name="batchSize"/> at a time.
    /// </summary>
    /// <param name="history">The users' clicks, with <see cref="ItemCount"/> items.</param>
    /// <param name="k">How many items per user; a user who has seen all but fewer gets fewer.</param>
    /// <param name="batchSize">Users scored at once; the scores of one batch are a dense <c>batchSize x ItemCount</c> tensor.</param>
    /// <exception cref="ArgumentException"><paramref name="history"/> does not have <see cref="ItemCount"/> items.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="batchSize"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public IReadOnlyList<UserRecommendations> Recommend(ClickMatrix history, int k, int batchSize = 2000) =>
        CatalogueRecommendations.ForHistory(this, history, k, batchSize);

    /// <summary>
    /// The <paramref name="k"/> best items for one user given the ids of the items the user clicked, in the catalogue's
    /// own ids (<see cref="ItemIds"/>, which the model file stores): no <see cref="ClickMatrix"/> and no column numbers.
    /// The clicked items are never recommended; an id given twice counts once.
    /// </summary>
    /// <param name="clickedItemIds">The ids of the items the user clicked (any order); may be empty, which gives the items the model ranks best for anyone.</param>
    /// <param name="k">How many items; fewer when the user has clicked almost every item.</param>
    /// <param name="ignoreUnknownItems">
    /// What to do with an id the catalogue does not hold (an item newer than the model, say): false (the default)
    /// throws an <see cref="ArgumentException"/> naming the first such ids; true leaves them out.
    /// </param>
    /// <returns>The recommended items, best first, with their scores.</returns>
    /// <exception cref="ArgumentException">An id is not in <see cref="ItemIds"/> and <paramref name="ignoreUnknownItems"/> is false, or an id is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    /// <example>
    /// <code>
    /// using var model = MultVae.Load("model.multvae");
    /// foreach (var item in model.Recommend(["1193", "661", "914"], k: 10))
    ///     Console.WriteLine($"{item.ItemId} {item.Score:F2}");
    /// </code>
    /// </example>
    public IReadOnlyList<ItemRecommendation> Recommend(IEnumerable<string> clickedItemIds, int k, bool ignoreUnknownItems = false)
    {
        ThrowIfDisposed();
        return CatalogueRecommendations.ForIds(this, _catalogue, clickedItemIds, k, ignoreUnknownItems);
    }

    /// <summary>Writes the model (architecture, item ids and every weight scoring or training it further needs) to <paramref name="path"/>, replacing the file atomically; the model's own <c>Load</c> reads it.</summary>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public void Save(string path)
    {
        ThrowIfDisposed();
        WriteFile(path);
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        FreeWeights();
        GC.SuppressFinalize(this);
    }

    /// <summary>The scores of every user of <paramref name="batch"/>, inside a no-grad dispose scope.</summary>
    private protected abstract Tensor ScoreBatch(ClickMatrix batch);

    private protected abstract void WriteFile(string path);

    private protected abstract void FreeWeights();

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
