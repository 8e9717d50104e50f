using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// EASE, the linear item-item autoencoder of Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019):
/// scores are <c>X B</c> with the closed-form weights <c>B = I - P diag(1 / diag(P))</c>,
/// <c>P = (XᵀX + λI)⁻¹</c>, which makes <c>diag(B) = 0</c> so no item recommends itself.
/// </summary>
/// <remarks>
/// The Gram matrix is accumulated exactly from the sparse clicks and inverted in float64; the weights are an
/// items x items float64 tensor, so memory grows with the square of the item count (20,000 items take 3.2 GB).
/// </remarks>
public sealed class EaseRecommender : IRecommender, IDisposable
{
    /// <summary>The L2 regularisation Steck reports for MovieLens-20M, the default.</summary>
    public const double DefaultLambda = 500.0;

    private readonly Tensor _weights;

    private EaseRecommender(Tensor weights, double lambda)
    {
        _weights = weights;
        Lambda = lambda;
        ItemCount = (int)weights.shape[0];
    }

    /// <summary>Fits the closed form on the training clicks (binary: a click's value is ignored).</summary>
    /// <param name="train">The training clicks.</param>
    /// <param name="lambda">The L2 regularisation λ added to the Gram matrix's diagonal; positive and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lambda"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentException">The item-item matrix is too large for one array.</exception>
    public static EaseRecommender Fit(ClickMatrix train, double lambda = DefaultLambda)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!(lambda > 0) || !double.IsFinite(lambda))
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be positive and finite so that XᵀX + λI can be inverted.");
        var n = train.ItemCount;
        if ((long)n * n > Array.MaxLength)
            throw new ArgumentException($"An item-item matrix of {n} x {n} does not fit in one array; EASE needs fewer items.", nameof(train));

        // Summing the outer product of each user's clicks costs O(sum of squared history lengths), far less than a
        // dense XᵀX over all users; integer counts keep it exact.
        var gram = new int[(long)n * n];
        for (var user = 0; user < train.UserCount; user++)
        {
            var items = train.ItemsOf(user);
            foreach (var i in items)
            {
                var offset = (long)i * n;
                foreach (var j in items)
                    gram[offset + j]++;
            }
        }
        VaeRuntime.EnsureNativeLibraryLoadable();
        using var scope = NewDisposeScope();
        // Each step frees its input at once: for 20,000 items every n x n float64 copy is 3.2 GB.
        Tensor p;
        using (var counts = torch.tensor(gram, new long[] { n, n }, ScalarType.Int32))
        {
            gram = [];
            using var g = counts.to_type(ScalarType.Float64);
            using (var s = new ScalarScope())
                g.diagonal().add_(s[lambda], Scalars.One);
            p = torch.linalg.inv(g);
        }
        using var negatedDiagonal = p.diagonal().neg();
        var b = p.div_(negatedDiagonal.unsqueeze(0));
        b.diagonal().zero_();
        return new EaseRecommender(b.contiguous().MoveToOuterDisposeScope(), lambda);
    }

    /// <summary>The λ the model was fitted with.</summary>
    public double Lambda { get; }

    /// <inheritdoc/>
    public int ItemCount { get; }

    /// <summary>The float64 item-item weights <c>B</c>, <c>[ItemCount, ItemCount]</c>, zero on the diagonal; owned by this object.</summary>
    public Tensor Weights => _weights;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="history"/> does not have <see cref="ItemCount"/> items.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows do not lie within <paramref name="history"/>.</exception>
    public Tensor Score(ClickMatrix history, int firstUser, int count)
    {
        Recommenders.CheckBatch(history, firstUser, count, ItemCount);
        using var scope = NewDisposeScope();
        var x = history.ToDense(firstUser, count).to_type(ScalarType.Float64);
        return x.mm(_weights).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose() => _weights.Dispose();
}
