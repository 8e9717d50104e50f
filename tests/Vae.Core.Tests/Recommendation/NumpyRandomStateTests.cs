using Vae.Core.Recommendation;

namespace Vae.Core.Tests.Recommendation;

/// <summary>Expected values printed by NumPy 2.2 (<c>np.random.seed(s); np.random.permutation(n)</c> and friends).</summary>
public sealed class NumpyRandomStateTests
{
    [Fact]
    public void MersenneTwisterMatchesItsReferenceOutput()
    {
        // The first output of MT19937 seeded with init_genrand(5489), from the generator's reference implementation.
        new NumpyRandomState(5489).NextUInt32().Should().Be(3499211612u);
    }

    [Theory]
    [InlineData(0u, new[] { 2, 8, 4, 9, 1, 6, 7, 3, 0, 5 })]
    [InlineData(42u, new[] { 8, 1, 5, 0, 7, 2, 9, 4, 3, 6 })]
    [InlineData(98765u, new[] { 18, 1, 5, 3, 8, 15, 10, 14, 0, 7, 2, 17, 4, 9, 11, 6, 16, 13, 12, 19 })]
    [InlineData(4294967295u, new[] { 1, 4, 5, 0, 2, 3 })]
    public void PermutationMatchesNumpy(uint seed, int[] expected)
    {
        new NumpyRandomState(seed).Permutation(expected.Length).Should().Equal(expected);
    }

    [Fact]
    public void ChoiceWithoutReplacementContinuesTheStreamAsNumpyDoes()
    {
        var random = new NumpyRandomState(98765);

        random.ChooseWithoutReplacement(7, 3).Should().Equal(2, 0, 6);
        random.ChooseWithoutReplacement(12, 2).Should().Equal(3, 1);
        random.ChooseWithoutReplacement(5, 1).Should().Equal(0);
    }

    [Fact]
    public void ReseedingRestartsTheStream()
    {
        var random = new NumpyRandomState(98765);
        random.Permutation(30);

        random.Seed(98765);

        random.ChooseWithoutReplacement(7, 3).Should().Equal(2, 0, 6);
    }
}
