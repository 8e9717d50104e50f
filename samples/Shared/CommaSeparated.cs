using System.Globalization;

namespace Vae.Samples;

/// <summary>The lists of numbers the command lines take, such as --hidden 512,256.</summary>
internal static class CommaSeparated
{
    /// <summary>The whole numbers of <paramref name="list"/>, spaces around them and empty entries ignored.</summary>
    /// <exception cref="FormatException">An entry is not a whole number.</exception>
    public static int[] Integers(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
