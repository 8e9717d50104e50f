namespace Vae.Core.TimeSeries;

/// <summary>A detector's NAB score on a corpus under one profile: per file, in total, and normalised.</summary>
public sealed class NabScoreReport
{
    internal NabScoreReport(NabProfile profile, double threshold, IReadOnlyList<NabFileScore> files, double nullScore, double perfectScore)
    {
        Profile = profile;
        Threshold = threshold;
        Files = files;
        RawScore = files.Sum(f => f.Score);
        NullScore = nullScore;
        PerfectScore = perfectScore;
    }

    /// <summary>The profile scored under.</summary>
    /// <value>As passed to <see cref="NabScorer.Score(NabCorpus, IReadOnlyDictionary{string, IReadOnlyList{double}}, NabProfile, double?, double?)"/>.</value>
    public NabProfile Profile { get; }

    /// <summary>The threshold every file was scored at: the corpus-wide optimum unless one was given.</summary>
    /// <value>A row is a detection when its anomaly score is at least this; 1.1 (NAB's start value) means no detections.</value>
    public double Threshold { get; }

    /// <summary>The per-file scores.</summary>
    /// <value>In the corpus' order.</value>
    public IReadOnlyList<NabFileScore> Files { get; }

    /// <summary>The raw total score, NAB's <c>Totals</c> row.</summary>
    /// <value>The sum of the files' scores.</value>
    public double RawScore { get; }

    /// <summary>The null detector's raw total, the baseline of the normalisation.</summary>
    /// <value>Computed with <see cref="NabScorer.GetNullScore"/> unless given.</value>
    public double NullScore { get; }

    /// <summary>The raw total of a perfect detector.</summary>
    /// <value>The number of windows in the corpus times the profile's A_TP.</value>
    public double PerfectScore { get; }

    /// <summary>NAB's normalised score, 100 * (raw - null) / (perfect - null).</summary>
    /// <value>0 for the null detector, 100 for a perfect one.</value>
    public double NormalizedScore => 100 * (RawScore - NullScore) / (PerfectScore - NullScore);

    /// <summary>The detected rows inside windows, over all files.</summary>
    /// <value>The sum over <see cref="Files"/>.</value>
    public int TruePositives => Files.Sum(f => f.TruePositives);

    /// <summary>The undetected rows outside windows, over all files.</summary>
    /// <value>The sum over <see cref="Files"/>.</value>
    public int TrueNegatives => Files.Sum(f => f.TrueNegatives);

    /// <summary>The detected rows outside windows, over all files.</summary>
    /// <value>The sum over <see cref="Files"/>.</value>
    public int FalsePositives => Files.Sum(f => f.FalsePositives);

    /// <summary>The undetected rows inside windows, over all files.</summary>
    /// <value>The sum over <see cref="Files"/>.</value>
    public int FalseNegatives => Files.Sum(f => f.FalseNegatives);
}
