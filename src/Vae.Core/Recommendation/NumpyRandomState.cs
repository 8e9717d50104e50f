namespace Vae.Core.Recommendation;

/// <summary>
/// The subset of NumPy's legacy <c>numpy.random.RandomState</c> (MT19937) that the Mult-VAE reference preprocessing
/// uses: seeding with an integer, <c>permutation(n)</c> and <c>choice(n, size, replace=False)</c>. Matching it bit
/// for bit makes a split of the same ratings pick the same users and the same held-out clicks as the reference.
/// </summary>
internal sealed class NumpyRandomState
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index;

    /// <summary>Seeds as <c>np.random.seed(seed)</c> does for an integer seed (MT19937's <c>init_genrand</c>).</summary>
    public NumpyRandomState(uint seed) => Seed(seed);

    /// <summary>Re-seeds, as a second <c>np.random.seed(seed)</c> call does.</summary>
    public void Seed(uint seed)
    {
        _state[0] = seed;
        for (var i = 1; i < N; i++)
            _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    /// <summary>The next 32 random bits of MT19937.</summary>
    public uint NextUInt32()
    {
        if (_index >= N)
            Twist();
        var y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A uniform integer in <c>[0, max]</c> by masked rejection, as NumPy's legacy <c>random_interval</c>.</summary>
    public uint Interval(uint max)
    {
        if (max == 0)
            return 0;
        var mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max)
        {
        }
        return value;
    }

    /// <summary><c>permutation(n)</c>: <c>arange(n)</c> shuffled by Fisher-Yates from the last element down.</summary>
    public int[] Permutation(int n)
    {
        var values = new int[n];
        for (var i = 0; i < n; i++)
            values[i] = i;
        for (var i = n - 1; i > 0; i--)
        {
            var j = (int)Interval((uint)i);
            (values[i], values[j]) = (values[j], values[i]);
        }
        return values;
    }

    /// <summary><c>choice(n, size, replace=False)</c>, which the legacy generator draws as <c>permutation(n)[:size]</c>.</summary>
    public int[] ChooseWithoutReplacement(int n, int size) => Permutation(n)[..size];

    private void Twist()
    {
        for (var i = 0; i < N; i++)
        {
            var y = (_state[i] & 0x80000000u) | (_state[(i + 1) % N] & 0x7fffffffu);
            var next = _state[(i + M) % N] ^ (y >> 1);
            _state[i] = (y & 1) != 0 ? next ^ 0x9908b0dfu : next;
        }
        _index = 0;
    }
}
