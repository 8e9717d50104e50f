using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.TimeSeries;

/// <summary>
/// The detector's VAE as <see cref="VaeTrainer"/> trains it with Donut's modified ELBO (M-ELBO, Xu et al., WWW 2018,
/// eq. 3): a batch row is a window's values (missing points filled with 0) followed by its mask (1 observed, 0 missing
/// or injected), the reconstruction term sums over the observed points only, and the prior's term is weighted by the
/// observed share of the window, so a window with missing points neither learns to reproduce its fillers nor is pulled
/// to the prior as hard as a whole one.
/// </summary>
/// <remarks>
/// With a_w the mask and b = sum_w a_w / W, M-ELBO = E_q[sum_w a_w log p(x_w | z) + b log p(z) - log q(z | x)]. Writing
/// E_q[log p(z)] = -KL(q || p) - H(q), its negative is the masked reconstruction + b KL - (1 - b) H(q): with every
/// point observed, the ELBO. The trainer's KL weight multiplies the latent part, b KL - (1 - b) H(q).
/// </remarks>
internal sealed class MaskedElboTraining(VariationalAutoencoder model) : ITrainableModel
{
    private static readonly double LogTwoPiPlusOne = Math.Log(2 * Math.PI) + 1;

    public string Architecture => model.Options.ToString() + " (M-ELBO)";

    public IReadOnlyList<TorchSharp.Modules.Parameter> TrainableParameters { get; } = model.parameters().ToArray();

    public IReadOnlyDictionary<string, Tensor> Weights => model.state_dict();

    public IDisposable EnterTrainingMode() => new TrainingMode(model);

    public ITrainingStep CreateStep(TrainingSetup setup) => new Step(model, setup);

    /// <summary>A batch row of window values and mask, as the step reads it.</summary>
    /// <param name="values">The window's values, missing ones filled with 0.</param>
    /// <param name="missing">Per value, whether it is missing.</param>
    /// <param name="row">The row to write, twice the window's length.</param>
    public static void WriteRow(ReadOnlySpan<float> values, ReadOnlySpan<bool> missing, Span<float> row)
    {
        values.CopyTo(row);
        for (var i = 0; i < missing.Length; i++) row[values.Length + i] = missing[i] ? 0 : 1;
    }

    /// <summary>The negative M-ELBO of a batch of rows (values, then mask) and its terms, each summed over the rows.</summary>
    /// <param name="model">The detector's VAE (Gaussian likelihood, standard normal prior).</param>
    /// <param name="rows">The rows, <c>[count, 2 x window]</c>.</param>
    /// <param name="beta">The KL weight.</param>
    /// <param name="noise">The reparameterisation noise's source; null for the global one.</param>
    public static (Tensor Loss, Tensor Reconstruction, Tensor Kl) NegativeMaskedElbo(VariationalAutoencoder model, Tensor rows, double beta, Generator? noise)
    {
        using var scope = NewDisposeScope();
        using var scalars = new ScalarScope();
        var size = rows.shape[1] / 2;
        var values = rows.narrow(1, 0, size);
        var mask = rows.narrow(1, size, size);
        using var output = model.Forward(values, noise);
        var elementwise = model.Likelihood.NegativeLogDensity(output.DecoderOutput, output.ReconstructionLogVariance, values);
        var reconstruction = elementwise.mul(mask).sum();
        var share = mask.mean([1]);
        var logVariance = output.LogVariance;
        // KL(q || N(0, I)) and the entropy of q, per window. Every scalar is held (ScalarScope's remarks): TorchSharp's
        // add(Tensor) and sub(Tensor) would make an unheld alpha of 1.
        var minusOne = scalars[-1.0];
        var latentSize = logVariance.shape[1];
        var kl = output.Mean.mul(output.Mean).add_(logVariance.exp(), Scalars.One).add_(logVariance, minusOne).sum([1])
            .add_(scalars[(double)-latentSize], Scalars.One).mul_(Scalars.Half);
        var entropy = logVariance.sum([1]).add_(scalars[LogTwoPiPlusOne * latentSize], Scalars.One).mul_(Scalars.Half);
        var missingShare = share.mul(minusOne).add_(Scalars.One, Scalars.One);
        var latent = share.mul(kl).add_(missingShare.mul_(entropy), minusOne).sum();
        var loss = reconstruction.add(latent, beta == 1.0 ? Scalars.One : scalars[beta]);
        return (loss.MoveToOuterDisposeScope(), reconstruction.MoveToOuterDisposeScope(), kl.sum().MoveToOuterDisposeScope());
    }

    private sealed class Step(VariationalAutoencoder model, TrainingSetup setup) : ITrainingStep
    {
        public int Threads { private get; set; } = 1;

        public StepResult Run(TrainingBatch batch, double beta)
        {
            using var scope = NewDisposeScope();
            var source = TensorData.Of(batch.Data);
            var rows = batch.Rows is { } indices ? source.index_select(0, indices) : source;
            setup.Optimizer.ZeroGrad();
            var (loss, reconstruction, kl) = NegativeMaskedElbo(model, rows, beta, setup.Noise);
            loss.backward();
            var gradients = setup.Options.MaxGradientNorm is { } maxNorm ? setup.Optimizer.ClipGradientNorm(maxNorm) : setup.Optimizer.Gradients.sum();
            var figures = stack([loss, reconstruction, kl, gradients.to_type(loss.dtype)]).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            return new StepResult(batch.Count, figures[0], figures[1], figures[2], figures[3]);
        }

        // The detector trains without validation data; its calibration plays that part.
        public ValidationOutcome Validate(TrainingData validation, long seed) =>
            throw new NotSupportedException("The time-series detector's M-ELBO training takes no validation data.");

        public void Dispose() => GC.SuppressFinalize(this);
    }

    private sealed class TrainingMode : IDisposable
    {
        private readonly VariationalAutoencoder model;
        private readonly bool training;

        public TrainingMode(VariationalAutoencoder model)
        {
            this.model = model;
            training = model.training;
            model.train();
        }

        public void Dispose() => model.train(training);
    }
}
