namespace Vae.Extensions.Hosting;

/// <summary>A reload that failed: the served model stayed the one loaded before.</summary>
/// <param name="Path">The full path of the file that could not be loaded.</param>
/// <param name="Message">The library's message (names the file and the problem).</param>
/// <param name="At">When the reload was attempted.</param>
public sealed record VaeReloadFailure(string Path, string Message, DateTimeOffset At);
