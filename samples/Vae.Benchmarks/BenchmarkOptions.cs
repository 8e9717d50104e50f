namespace Vae.Benchmarks;

/// <summary>The benchmarks' few command-line options: <c>--name value</c> pairs, read leniently (a missing one gives the fallback).</summary>
internal static class BenchmarkOptions
{
    /// <summary>The integer after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="fallback"/> when it is absent.</summary>
    public static int Int(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
    }
}
