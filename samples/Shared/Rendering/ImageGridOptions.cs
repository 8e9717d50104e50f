namespace Vae.Samples.Rendering;

/// <summary>How <see cref="ImageGrid"/> lays out its tiles. All sizes are in output pixels.</summary>
public sealed record ImageGridOptions
{
    /// <summary>Each source pixel becomes a Scale x Scale block (nearest neighbour, so digits stay crisp). At least 1.</summary>
    public int Scale { get; init; } = 2;

    /// <summary>The white space between tiles and around the grid. At least 0.</summary>
    public int Gap { get; init; } = 2;

    /// <summary>One line of text above the whole grid, or null for none.</summary>
    public string? Caption { get; init; }

    /// <summary>
    /// A title above each row, repeated in order when there are more rows than titles (so ["input", "reconstruction"]
    /// labels interleaved pairs of rows); null for none. A null or empty entry leaves that row's title band blank.
    /// </summary>
    public IReadOnlyList<string?>? RowTitles { get; init; }

    /// <summary>The height of the band that holds a row title, above every row when <see cref="RowTitles"/> is set.</summary>
    public int TitleHeight { get; init; } = 16;

    /// <summary>The height of the band at the top that holds <see cref="Caption"/>, when it is set.</summary>
    public int CaptionHeight { get; init; } = 24;
}
