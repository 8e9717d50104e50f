namespace Vae.Core.TimeSeries;

/// <summary>One labelled anomaly window of a NAB series: the rows from <paramref name="Start"/> to <paramref name="End"/>, both included.</summary>
/// <param name="Start">The timestamp of the window's first row.</param>
/// <param name="End">The timestamp of the window's last row.</param>
public readonly record struct NabWindow(DateTime Start, DateTime End);
