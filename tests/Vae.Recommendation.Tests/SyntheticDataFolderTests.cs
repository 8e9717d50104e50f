using Vae.Core.Recommendation;
using Vae.Samples.Tests;

namespace Vae.Recommendation.Tests;

/// <summary>Tests that run the recommendation program on a small synthetic folder in a temporary folder of their own.</summary>
public abstract class SyntheticDataFolderTests : IDisposable
{
    private protected readonly TempFolder temp = new();
    protected readonly string data;

    protected SyntheticDataFolderTests()
    {
        data = temp.File("data");
        SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 400, ItemCount = 150, TopicCount = 6, Seed = 3 })
            .WriteFolder(data, new ReferenceSplitOptions { HeldOutUsers = 40 });
    }

    public void Dispose()
    {
        temp.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected SampleProcess.Result Run(params string[] args)
    {
        using var run = SampleProcess.Start("Vae.Recommendation", args, temp.Path);
        return run.WaitForExit();
    }
}
