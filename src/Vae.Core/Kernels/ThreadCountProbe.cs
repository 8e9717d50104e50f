using System.Diagnostics;

namespace Vae.Core.Kernels;

/// <summary>
/// Chooses, step by step, between the configured thread count and half of it for the fused training steps, whose
/// results do not depend on the thread count: it times a few steps with each (the first of each block untimed, while
/// helpers wake) and keeps the faster per row until the next look. Beside busy processes one thread can train faster
/// than two (the helpers' share arrives late and their spinning takes the caller's core); on an idle machine a look
/// costs its few steps at the smaller count.
/// </summary>
/// <remarks>
/// It looks again every <see cref="RunSteps"/> steps, and sooner when the machine changes under it: when the median
/// time per row of the last <see cref="DriftWindow"/> steps moves from what the look measured for the chosen count by
/// more than <see cref="DriftRatio"/> either way (neighbours took the cores, or left them), after at least
/// <see cref="MinimumRunSteps"/> steps, so that the looks cost a bounded share of the steps however the load moves.
/// The first look, taken while the process warms up, is followed by a second after <see cref="MinimumRunSteps"/>.
/// </remarks>
internal sealed class ThreadCountProbe
{
    /// <summary>Steps between two looks while the speed holds (settable for the tests, which switch often).</summary>
    internal static int RunSteps { get; set; } = 200;

    /// <summary>Timed steps per candidate in a look, after one untimed step.</summary>
    internal const int TimedSteps = 4;

    /// <summary>The fewest steps on the chosen count before a change of speed calls for another look.</summary>
    internal const int MinimumRunSteps = 20;

    /// <summary>How many of the latest steps' median time per row is compared with the look's.</summary>
    internal const int DriftWindow = 7;

    /// <summary>The factor by which that median must differ from the look's (slower or faster) to look again.</summary>
    internal const double DriftRatio = 1.5;

    private readonly int[] candidates;
    private readonly double[] secondsPerRow;
    private readonly double[] recent = new double[DriftWindow];
    private readonly double[] sorted = new double[DriftWindow];
    private readonly Func<long> clock;
    private readonly int probeSteps;
    private int position;
    private int runLength = MinimumRunSteps;
    private int chosen;
    private double expectedSecondsPerRow;
    private long started;
    private int rows;

    /// <summary>A probe between <paramref name="threads"/> (more than one) and half of it.</summary>
    public ThreadCountProbe(int threads) : this(threads, Stopwatch.GetTimestamp)
    {
    }

    /// <summary>A probe reading <paramref name="clock"/> (in <see cref="Stopwatch.Frequency"/> ticks; the tests' own).</summary>
    internal ThreadCountProbe(int threads, Func<long> clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 2);
        candidates = [threads, Math.Max(1, threads / 2)];
        secondsPerRow = new double[candidates.Length];
        probeSteps = candidates.Length * (1 + TimedSteps);
        chosen = threads;
        this.clock = clock;
    }

    /// <summary>Steps of one look at every candidate.</summary>
    internal int ProbeSteps => probeSteps;

    /// <summary>How many steps a whole cycle (the look and the run after it) takes while the speed holds.</summary>
    internal int CycleSteps => probeSteps + RunSteps;

    /// <summary>The thread count chosen by the last look (the configured count before the first).</summary>
    public int Chosen => chosen;

    /// <summary>How many looks have begun, the first included.</summary>
    internal int Looks { get; private set; }

    /// <summary>For tests and benchmarks: called with each choice a look makes.</summary>
    internal Action<int>? Chose { get; set; }

    /// <summary>The thread count for the next step of <paramref name="batchRows"/> rows; its end is reported by <see cref="Finish"/>.</summary>
    public int Begin(int batchRows)
    {
        rows = batchRows;
        started = clock();
        if (position == 0) Looks++;
        return position < probeSteps ? candidates[position / (1 + TimedSteps)] : chosen;
    }

    /// <summary>Ends the step begun last.</summary>
    public void Finish()
    {
        var perRow = (double)(clock() - started) / Stopwatch.Frequency / Math.Max(1, rows);
        if (position < probeSteps)
        {
            var (candidate, index) = (position / (1 + TimedSteps), position % (1 + TimedSteps));
            if (index == 0) secondsPerRow[candidate] = 0;
            else secondsPerRow[candidate] += perRow;
            position++;
            if (position == probeSteps) Choose();
            return;
        }
        var run = position - probeSteps;
        recent[run % DriftWindow] = perRow;
        position++;
        if (run + 1 >= runLength || (run + 1 >= MinimumRunSteps && Drifted()))
        {
            position = 0;
            runLength = RunSteps;
        }
    }

    private void Choose()
    {
        var best = 0;
        for (var c = 1; c < candidates.Length; c++)
            if (secondsPerRow[c] < secondsPerRow[best]) best = c;
        chosen = candidates[best];
        expectedSecondsPerRow = secondsPerRow[best] / TimedSteps;
        Chose?.Invoke(chosen);
    }

    // The median of the last steps, so that one stalled step (a page fault, a collection) does not call for a look.
    private bool Drifted()
    {
        Array.Copy(recent, sorted, DriftWindow);
        Array.Sort(sorted);
        var median = sorted[DriftWindow / 2];
        return median > expectedSecondsPerRow * DriftRatio || median * DriftRatio < expectedSecondsPerRow;
    }
}
