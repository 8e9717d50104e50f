using System.Runtime.CompilerServices;
namespace Vae.Core.Kernels;

/// <summary>
/// Runs the parts of one kernel call on the calling thread and on long-lived helper threads, each thread claiming the
/// next unstarted part until none is left.
/// </summary>
/// <remarks>
/// <c>Parallel.For</c> lost most of the second core here: between two matrix products of a step its pool thread had
/// often gone to sleep, and the caller, finding the second part unclaimed, ran it itself (the encoder's forward product
/// took as long on two threads as on one). These helpers wait on an event that spins before it blocks, so the next
/// call of a step finds them awake.
/// <para>
/// Parts are claimed, not assigned: when other processes hold the cores, a helper may not run for milliseconds after it
/// is woken, and a call that gave it half the work waited that long at every fork (two threads trained ten times slower
/// than one beside two busy processes). Here the caller goes on claiming parts while the helper sleeps, and waits only
/// for parts a helper has started, which is why the kernels cut their work into several parts per thread. A helper that
/// wakes after its call has ended claims nothing: parts are claimed through one 64-bit word holding the call's number
/// and its next part, so a late helper can never take a part of a later call.
/// </para>
/// <para>
/// Results never depend on the thread count or on which thread ran a part: the kernels give every output element to
/// exactly one part, and each part computes its elements in a fixed order. Calls from several threads at once are
/// serialised.
/// </para>
/// </remarks>
internal static class KernelThreads
{
    /// <summary>Parts per thread the kernels aim at: enough that the caller can take over a sleeping helper's share, few enough that claiming costs nothing.</summary>
    public const int PartsPerThread = 4;

    // Spins of ManualResetEventSlim before it blocks: its maximum, on the order of 0.1 ms here, longer than the gaps
    // between the matrix products of one training step.
    private const int SpinCount = 2047;

    private static readonly object Gate = new();
    private static readonly ManualResetEventSlim AllDone = new(false, SpinCount);
    private static readonly List<Exception> Failures = [];
    private static Helper[] helpers = [];
    private static uint callNumber;

    // The call in progress: its number in the high 32 bits, its next unclaimed part in the low 32.
    private static long claims;
    private static int completedParts;

    // Set while this thread runs a part: a part that itself asks for parts gets them on its own thread, in order,
    // rather than handing work to helpers that are busy with the outer call.
    [ThreadStatic]
    private static bool insidePart;

    private static Action? helperWaking;

    /// <summary>For tests: runs on a helper each time it wakes, before it looks for parts (to hold a helper back).</summary>
    internal static Action? HelperWaking
    {
        get => Volatile.Read(ref helperWaking);
        set => Volatile.Write(ref helperWaking, value);
    }

    /// <summary>How many parts to cut <paramref name="units"/> indivisible pieces of work into for <paramref name="threads"/> threads.</summary>
    public static int PartsFor(int units, int threads) =>
        Math.Max(1, Math.Min(units, threads <= 1 ? 1 : Math.Min(threads, VaeRuntime.MaxCpuThreads) * PartsPerThread));

    /// <summary>Calls <paramref name="part"/> with 0 .. <paramref name="parts"/> - 1 on up to <paramref name="parts"/> threads, and returns when all are done.</summary>
    public static void Run(int parts, Action<int> part) => Run(parts, parts, part, null);

    /// <summary>
    /// Calls <paramref name="part"/> with 0 .. <paramref name="parts"/> - 1 on up to <paramref name="threads"/> threads
    /// (this one among them), each part once, and returns when all are done.
    /// </summary>
    public static void Run(int parts, int threads, Action<int> part) => Run(parts, threads, part, null);

    /// <summary>
    /// As <see cref="Run(int, int, Action{int})"/>, <paramref name="part"/> also given the index of the thread that runs
    /// it, below <paramref name="threads"/> and never shared by two parts at once: for scratch memory per thread.
    /// </summary>
    public static void Run(int parts, int threads, Action<int, int> part) => Run(parts, threads, null, part);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(int parts, int threads, Action<int>? part, Action<int, int>? partOnWorker)
    {
        threads = Math.Min(Math.Min(threads, parts), VaeRuntime.MaxCpuThreads);
        if (threads <= 1 || insidePart)
        {
            for (var i = 0; i < parts; i++) Invoke(part, partOnWorker, i, 0);
            return;
        }
        lock (Gate)
        {
            if (helpers.Length < threads - 1)
                helpers = [.. helpers, .. Enumerable.Range(helpers.Length, threads - 1 - helpers.Length).Select(i => new Helper(i + 1))];
            var call = unchecked(++callNumber);
            Failures.Clear();
            Volatile.Write(ref completedParts, 0);
            // A full fence: whatever a helper reads of this call below comes after the new call number.
            Interlocked.Exchange(ref claims, (long)call << 32);
            for (var i = 0; i < threads - 1; i++) helpers[i].Start(call, parts, part, partOnWorker);
            insidePart = true;
            try
            {
                Work(call, parts, part, partOnWorker, worker: 0);
            }
            finally
            {
                insidePart = false;
            }
            // Only parts a helper has claimed are waited for; each sets AllDone if it was the last. A set left over
            // from an earlier call only costs one more look at the count.
            while (Volatile.Read(ref completedParts) < parts)
            {
                AllDone.Wait();
                AllDone.Reset();
            }
            if (Failures.Count > 0) throw new AggregateException(Failures.ToArray());
        }
    }

    // Claims and runs parts of call number `call` until none is left, or until a later call has begun.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Work(uint call, int parts, Action<int>? part, Action<int, int>? partOnWorker, int worker)
    {
        while (true)
        {
            var state = Volatile.Read(ref claims);
            var next = (int)(uint)state;
            if ((uint)(state >>> 32) != call || next >= parts) return;
            if (Interlocked.CompareExchange(ref claims, state + 1, state) != state) continue;
            try
            {
                Invoke(part, partOnWorker, next, worker);
            }
            catch (Exception exception)
            {
                lock (Failures) Failures.Add(exception);
            }
            if (Interlocked.Increment(ref completedParts) == parts && worker != 0) AllDone.Set();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Invoke(Action<int>? part, Action<int, int>? partOnWorker, int index, int worker)
    {
        if (part is not null) part(index);
        else partOnWorker!(index, worker);
    }

    private sealed class Helper
    {
        private readonly ManualResetEventSlim started = new(false, SpinCount);
        private readonly int worker;
        private uint call;
        private int parts;
        private Action<int>? part;
        private Action<int, int>? partOnWorker;

        public Helper(int worker)
        {
            this.worker = worker;
            new Thread(Loop) { IsBackground = true, Name = $"Vae kernel {worker}" }.Start();
        }

        // The call number is written last and read first: a helper that sees it sees the rest of that call, and one
        // that reads a later call's work or count also finds that later call's number in `claims` and claims nothing.
        public void Start(uint number, int count, Action<int>? work, Action<int, int>? workOnWorker)
        {
            Volatile.Write(ref part, work);
            Volatile.Write(ref partOnWorker, workOnWorker);
            Volatile.Write(ref parts, count);
            Volatile.Write(ref call, number);
            started.Set();
        }

        private void Loop()
        {
            insidePart = true;
            while (true)
            {
                started.Wait();
                started.Reset();
                var number = Volatile.Read(ref call);
                var work = Volatile.Read(ref part);
                var workOnWorker = Volatile.Read(ref partOnWorker);
                var count = Volatile.Read(ref parts);
                // After the call is read: a helper that got a call started after the hook was set is sure to see it.
                Volatile.Read(ref helperWaking)?.Invoke();
                Work(number, count, work, workOnWorker, worker);
            }
        }
    }
}
