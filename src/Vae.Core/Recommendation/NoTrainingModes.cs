namespace Vae.Core.Recommendation;

/// <summary>The training modes of a model without modules: nothing to enter or leave (dropout is the step's own).</summary>
internal sealed class NoTrainingModes : IDisposable
{
    public static readonly NoTrainingModes Instance = new();

    public void Dispose()
    {
    }
}
