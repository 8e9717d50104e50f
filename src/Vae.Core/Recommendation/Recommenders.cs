namespace Vae.Core.Recommendation;

/// <summary>Argument checks shared by the recommenders.</summary>
internal static class Recommenders
{
    public static void CheckBatch(ClickMatrix history, int firstUser, int count, int itemCount)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.ItemCount != itemCount)
            throw new ArgumentException($"The history has {history.ItemCount} items but the model scores {itemCount}.", nameof(history));
        ArgumentOutOfRangeException.ThrowIfNegative(firstUser);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)firstUser + count > history.UserCount)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Rows {firstUser}-{(long)firstUser + count - 1} do not lie within the {history.UserCount}-user history.");
    }
}
