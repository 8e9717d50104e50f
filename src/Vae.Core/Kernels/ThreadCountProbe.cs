using System.Diagnostics;

namespace Vae.Core.Kernels;

/// <summary>
/// Chooses, step by step, between the configured thread count and half of it for the fused training steps, whose
/// results do not depend on the thread count: every <see cref="RunSteps"/> steps it times a few steps with each (the
/// first of each block untimed, while helpers wake) and keeps the faster per row until the next probe. Beside busy
/// processes one thread can train faster than two (the helpers' share arrives late and their spinning takes the
/// caller's core); on an idle machine the probe costs its few steps at the smaller count.
/// </summary>
internal sealed class ThreadCountProbe
{
    /// <summary>Steps between two probes (settable for the tests, which switch often).</summary>
    internal static int RunSteps { get; set; } = 200;

    /// <summary>Timed steps per candidate in a probe, after one untimed step.</summary>
    internal const int TimedSteps = 4;

    private readonly int[] candidates;
    private readonly double[] secondsPerRow;
    private int position;
    private int chosen;
    private long started;
    private int rows;

    /// <summary>A probe between <paramref name="threads"/> (more than one) and half of it.</summary>
    public ThreadCountProbe(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 2);
        candidates = [threads, Math.Max(1, threads / 2)];
        secondsPerRow = new double[candidates.Length];
        chosen = threads;
    }

    /// <summary>How many steps a whole cycle (the probe and the run after it) takes.</summary>
    internal int CycleSteps => candidates.Length * (1 + TimedSteps) + RunSteps;

    /// <summary>The thread count chosen by the last probe (the configured count before the first).</summary>
    public int Chosen => chosen;

    /// <summary>For tests and benchmarks: called with each choice a probe makes.</summary>
    internal Action<int>? Chose { get; set; }

    /// <summary>The thread count for the next step of <paramref name="batchRows"/> rows; its end is reported by <see cref="Finish"/>.</summary>
    public int Begin(int batchRows)
    {
        rows = batchRows;
        started = Stopwatch.GetTimestamp();
        var probeSteps = candidates.Length * (1 + TimedSteps);
        return position < probeSteps ? candidates[position / (1 + TimedSteps)] : chosen;
    }

    /// <summary>Ends the step begun last.</summary>
    public void Finish()
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var probeSteps = candidates.Length * (1 + TimedSteps);
        if (position < probeSteps)
        {
            var (candidate, index) = (position / (1 + TimedSteps), position % (1 + TimedSteps));
            if (index == 0) secondsPerRow[candidate] = 0;
            else secondsPerRow[candidate] += elapsed / Math.Max(1, rows);
            if (position == probeSteps - 1)
            {
                var best = 0;
                for (var c = 1; c < candidates.Length; c++)
                    if (secondsPerRow[c] < secondsPerRow[best]) best = c;
                chosen = candidates[best];
                Chose?.Invoke(chosen);
            }
        }
        position = (position + 1) % CycleSteps;
    }
}
