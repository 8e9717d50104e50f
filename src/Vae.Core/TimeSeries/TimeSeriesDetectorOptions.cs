namespace Vae.Core.TimeSeries;

/// <summary>
/// The settings of a <see cref="TimeSeriesDetector"/>: the window, the VAE and its training (Donut, Xu et al., WWW
/// 2018: a VAE on sliding windows trained with missing points injected), how missing points are imputed, and how the
/// raw score is calibrated to [0, 1].
/// </summary>
public sealed record TimeSeriesDetectorOptions
{
    /// <summary>The number of consecutive points in a window; a point is scored with the window it ends.</summary>
    /// <value>48. The training part must hold more points than this.</value>
    public int WindowSize { get; init; } = 48;

    /// <summary>The widths of the encoder's hidden layers (ReLU), input side first; the decoder mirrors them.</summary>
    /// <value>[64, 32].</value>
    public IReadOnlyList<int> HiddenSizes { get; init => field = ValueList<int>.Of(value); } = ValueList<int>.Of([64, 32]);

    /// <summary>The dimension of the latent code.</summary>
    /// <value>4 (Donut uses 3 to 8).</value>
    public int LatentSize { get; init; } = 4;

    /// <summary>The training epochs over the training part's windows.</summary>
    /// <value>40.</value>
    public int Epochs { get; init; } = 40;

    /// <summary>The windows per training batch.</summary>
    /// <value>64.</value>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    /// <value>1e-3.</value>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The weight of the KL term in the training loss (below 1 the code keeps more of the window).</summary>
    /// <value>1, the ELBO.</value>
    public double Beta { get; init; } = 1;

    /// <summary>
    /// The share of a training window's points set to missing (filled with the normalised mean, 0) afresh in every
    /// epoch, so that the model has seen filled points when it meets real gaps (Donut's missing-data injection).
    /// </summary>
    /// <value>0.01, Donut's λ.</value>
    public double MissingInjectionRate { get; init; } = 0.01;

    /// <summary>
    /// Whether the VAE learns with Donut's modified ELBO (M-ELBO): missing and injected points are left out of the
    /// reconstruction term and the prior's term is weighted by the observed share of the window. When false, the plain
    /// ELBO over every point, fillers included.
    /// </summary>
    /// <value>False.</value>
    public bool MaskedElbo { get; init; }

    /// <summary>Normalised values (z-scores against the training part) are clipped to ± this.</summary>
    /// <value>10.</value>
    public double ClipSigma { get; init; } = 10;

    /// <summary>
    /// The rounds of imputation when a window holds missing points: each replaces them by the reconstruction of the
    /// window (Donut's MCMC imputation, with the posterior mean for the sample).
    /// </summary>
    /// <value>3; 0 scores with the filled value.</value>
    public int ImputationRounds { get; init; } = 3;

    /// <summary>The recent raw scores whose mean is compared with the history (a short average damps single noisy points).</summary>
    /// <value>2: the point's raw score and the one before it.</value>
    public int ShortAverage { get; init; } = 2;

    /// <summary>
    /// Whether a range score joins the VAE's: how far the newest value lies beyond the range of every value seen before
    /// it (training part and stream), in units of that range, divided by <see cref="RangeScale"/>.
    /// </summary>
    /// <value>True.</value>
    public bool RangeScore { get; init; } = true;

    /// <summary>
    /// The excess beyond the range seen so far, in units of that range, that gives a range score of 1: with the default
    /// <see cref="Threshold"/> of 0.2, a value beyond every earlier value by 8% of their range is an anomaly. 0 calibrates
    /// the excess against its own history instead, as the other scores are (files of format 2 and earlier): the excess
    /// of the first training points over a range of almost nothing then fills that history, and later new extremes
    /// rarely reach the threshold.
    /// </summary>
    /// <value>0.4.</value>
    public double RangeScale { get; init; } = 0.4;

    /// <summary>
    /// Whether a seasonal score joins the VAE's: the mean difference of the last few points from the points one day
    /// earlier (the period in points is one day over the training part's most frequent step, when that is a whole
    /// number from 2 to 2,016), calibrated against its own history. It sees a changed daily shape that a window
    /// shorter than a day cannot.
    /// </summary>
    /// <value>True.</value>
    public bool SeasonalScore { get; init; } = true;

    /// <summary>The tail probability 10^-SeasonalDigits of the seasonal score's calibration maps to a score of 1.</summary>
    /// <value>120 (100 in files of format 2 and earlier).</value>
    public double SeasonalDigits { get; init; } = 120;

    /// <summary>
    /// The recent points whose mean the level-shift score compares with the mean and standard deviation of the
    /// <see cref="LevelShiftWindow"/> points before them, calibrated against its own history.
    /// </summary>
    /// <value>20; 0 turns the level-shift score off.</value>
    public int LevelShiftPoints { get; init; } = 20;

    /// <summary>The points before the recent ones that the level-shift score compares them with.</summary>
    /// <value>300.</value>
    public int LevelShiftWindow { get; init; } = 300;

    /// <summary>The tail probability 10^-LevelShiftDigits of the level-shift score's calibration maps to a score of 1.</summary>
    /// <value>40 (30 in files of format 2 and earlier).</value>
    public double LevelShiftDigits { get; init; } = 40;

    /// <summary>The raw scores the calibration's mean and standard deviation are taken over (the training part's scores first, then the stream's).</summary>
    /// <value>2,000.</value>
    public int CalibrationHistory { get; init; } = 2000;

    /// <summary>The tail probability 10^-TailDigits of the VAE's score's calibration maps to a calibrated score of 1.</summary>
    /// <value>125, so that even far tails keep distinct scores (no ties at 1); 100 before the range score's fixed scale.</value>
    public double TailDigits { get; init; } = 125;

    /// <summary>
    /// The VAE's calibrated score counts only when the short average of its raw scores (<see cref="ShortAverage"/>)
    /// reaches this share of the highest raw score in its calibration history; below it the VAE's part of the score is
    /// 0. A burst much smaller than the largest seen in the last <see cref="CalibrationHistory"/> points is not new,
    /// however unlikely its window under the model. 0 counts it always (files of format 3 and earlier).
    /// </summary>
    /// <value>0.5.</value>
    public double VaeScoreGate { get; init; } = 0.5;

    /// <summary>A point is an anomaly when its calibrated score is at least this.</summary>
    /// <value>0.2 (for the VAE's score a tail probability of 1e-25 with the default <see cref="TailDigits"/>, a z-score of about 10.4).</value>
    public double Threshold { get; init; } = 0.2;

    /// <summary>
    /// After a point at or above <see cref="Threshold"/>, the calibrated scores of this many following points are
    /// capped just below it, so one event is reported once (their raw scores are unchanged).
    /// </summary>
    /// <value>100; 0 turns suppression off.</value>
    public int SuppressionPoints { get; init; } = 100;

    /// <summary>
    /// Every this many observed points the model is trained further (<see cref="RetrainEpochs"/> epochs) on the last
    /// <see cref="RetrainPoints"/> points, after the point that makes the count is scored, and the calibration history
    /// is rebuilt from those points' scores: the detector follows a series that drifts. The normalisation stays the
    /// training part's.
    /// </summary>
    /// <value>0: the model learns from the training part only.</value>
    public int RetrainEvery { get; init; }

    /// <summary>The most recent points kept for <see cref="RetrainEvery"/> (memory is this times the columns, whatever the stream's length).</summary>
    /// <value>2,000.</value>
    public int RetrainPoints { get; init; } = 2000;

    /// <summary>The epochs of each retraining.</summary>
    /// <value>10.</value>
    public int RetrainEpochs { get; init; } = 10;

    /// <summary>How timestamps are read: a regular series with gaps filled, or points one after another.</summary>
    /// <value><see cref="TimeSeriesTimestamps.Regular"/>.</value>
    public TimeSeriesTimestamps Timestamps { get; init; } = TimeSeriesTimestamps.Regular;

    /// <summary>The seed of the weights' initialisation, the shuffling, the injection and the trainer's noise.</summary>
    /// <value>1.</value>
    public long Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (WindowSize < 2) throw Bad(nameof(WindowSize), WindowSize, "must be at least 2");
        if (HiddenSizes is null || HiddenSizes.Count == 0 || HiddenSizes.Any(h => h <= 0)) throw Bad(nameof(HiddenSizes), HiddenSizes is null ? null : string.Join(",", HiddenSizes), "must be a non-empty list of positive widths");
        if (LatentSize <= 0) throw Bad(nameof(LatentSize), LatentSize, "must be at least 1");
        if (Epochs <= 0) throw Bad(nameof(Epochs), Epochs, "must be at least 1");
        if (BatchSize <= 0) throw Bad(nameof(BatchSize), BatchSize, "must be at least 1");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw Bad(nameof(LearningRate), LearningRate, "must be positive and finite");
        if (!double.IsFinite(Beta) || Beta < 0) throw Bad(nameof(Beta), Beta, "must be non-negative and finite");
        if (!(MissingInjectionRate >= 0 && MissingInjectionRate < 1)) throw Bad(nameof(MissingInjectionRate), MissingInjectionRate, "must be in [0, 1)");
        if (!double.IsFinite(ClipSigma) || ClipSigma <= 0) throw Bad(nameof(ClipSigma), ClipSigma, "must be positive and finite");
        if (ImputationRounds < 0) throw Bad(nameof(ImputationRounds), ImputationRounds, "must not be negative");
        if (ShortAverage <= 0) throw Bad(nameof(ShortAverage), ShortAverage, "must be at least 1");
        if (LevelShiftPoints < 0) throw Bad(nameof(LevelShiftPoints), LevelShiftPoints, "must not be negative");
        if (LevelShiftWindow < 2) throw Bad(nameof(LevelShiftWindow), LevelShiftWindow, "must be at least 2");
        if (!double.IsFinite(LevelShiftDigits) || LevelShiftDigits <= 0) throw Bad(nameof(LevelShiftDigits), LevelShiftDigits, "must be positive and finite");
        if (!double.IsFinite(SeasonalDigits) || SeasonalDigits <= 0) throw Bad(nameof(SeasonalDigits), SeasonalDigits, "must be positive and finite");
        if (!double.IsFinite(RangeScale) || RangeScale < 0) throw Bad(nameof(RangeScale), RangeScale, "must be non-negative and finite (0: calibrated against its history)");
        if (CalibrationHistory < 2) throw Bad(nameof(CalibrationHistory), CalibrationHistory, "must be at least 2");
        if (!double.IsFinite(TailDigits) || TailDigits <= 0) throw Bad(nameof(TailDigits), TailDigits, "must be positive and finite");
        if (!(VaeScoreGate >= 0 && VaeScoreGate <= 1)) throw Bad(nameof(VaeScoreGate), VaeScoreGate, "must be in [0, 1] (0: the VAE's score always counts)");
        if (!(Threshold >= 0 && Threshold <= 1)) throw Bad(nameof(Threshold), Threshold, "must be in [0, 1]");
        if (SuppressionPoints < 0) throw Bad(nameof(SuppressionPoints), SuppressionPoints, "must not be negative");
        if (RetrainEvery < 0) throw Bad(nameof(RetrainEvery), RetrainEvery, "must not be negative");
        if (RetrainPoints <= WindowSize) throw Bad(nameof(RetrainPoints), RetrainPoints, $"must be more than the window of {WindowSize}");
        if (RetrainEpochs <= 0) throw Bad(nameof(RetrainEpochs), RetrainEpochs, "must be at least 1");
        if (!Enum.IsDefined(Timestamps)) throw Bad(nameof(Timestamps), (int)Timestamps, $"must be a {nameof(TimeSeriesTimestamps)}");
    }

    private static ArgumentException Bad(string name, object? value, string rule) =>
        new($"{name} {rule}, but was {value ?? "null"}.", name);
}
