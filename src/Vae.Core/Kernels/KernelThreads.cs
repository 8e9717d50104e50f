using System.Runtime.CompilerServices;
namespace Vae.Core.Kernels;

/// <summary>
/// Runs the parts of one kernel call on the calling thread and on long-lived helper threads.
/// </summary>
/// <remarks>
/// <c>Parallel.For</c> lost most of the second core here: between two matrix products of a step its pool thread had
/// often gone to sleep, and the caller, finding the second part unclaimed, ran it itself (the encoder's forward product
/// took as long on two threads as on one). These helpers wait on an event that spins before it blocks, so the next
/// call of a step finds them awake, and each part goes to its own thread. Results never depend on how the work is split:
/// the kernels give every output element to exactly one part. Calls from several threads at once are serialised.
/// </remarks>
internal static class KernelThreads
{
    // Spins of ManualResetEventSlim before it blocks: its maximum, on the order of 0.1 ms here, longer than the gaps
    // between the matrix products of one training step.
    private const int SpinCount = 2047;

    private static readonly object Gate = new();
    private static Helper[] helpers = [];

    // Set while this thread runs a part: a part that itself asks for parts gets them on its own thread, in order,
    // rather than handing work to helpers that are busy with the outer call.
    [ThreadStatic]
    private static bool insidePart;

    /// <summary>Calls <paramref name="part"/> with 0 .. <paramref name="parts"/> - 1, part 0 on this thread, and returns when all are done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int parts, Action<int> part)
    {
        if (parts <= 1 || insidePart)
        {
            for (var i = 0; i < parts; i++) part(i);
            return;
        }
        lock (Gate)
        {
            if (helpers.Length < parts - 1)
                helpers = [.. helpers, .. Enumerable.Range(helpers.Length, parts - 1 - helpers.Length).Select(i => new Helper(i + 1))];
            for (var i = 0; i < parts - 1; i++) helpers[i].Start(part);
            var failures = new List<Exception>();
            try
            {
                insidePart = true;
                part(0);
            }
            catch (Exception exception)
            {
                failures.Add(exception);
            }
            finally
            {
                insidePart = false;
            }
            // Every helper is waited for, failed or not, so none is still at work when the next call starts.
            for (var i = 0; i < parts - 1; i++)
                if (helpers[i].Finish() is { } failure) failures.Add(failure);
            if (failures.Count > 0) throw new AggregateException(failures);
        }
    }

    private sealed class Helper
    {
        private readonly ManualResetEventSlim started = new(false, SpinCount);
        private readonly ManualResetEventSlim finished = new(false, SpinCount);
        private readonly int index;
        private Action<int>? work;
        private Exception? failure;

        public Helper(int index)
        {
            this.index = index;
            new Thread(Loop) { IsBackground = true, Name = $"Vae kernel {index}" }.Start();
        }

        public void Start(Action<int> part)
        {
            work = part;
            failure = null;
            started.Set();
        }

        public Exception? Finish()
        {
            finished.Wait();
            finished.Reset();
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                started.Wait();
                started.Reset();
                try
                {
                    insidePart = true;
                    work!(index);
                }
                catch (Exception exception)
                {
                    failure = exception;
                }
                work = null;
                finished.Set();
            }
        }
    }
}
