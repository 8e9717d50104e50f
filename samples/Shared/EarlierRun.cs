namespace Vae.Samples;

/// <summary>
/// What a training command does with an earlier run in its --output folder: continue its checkpoint (--resume), replace
/// it (--overwrite), or refuse before anything is read or written, so that a finished run is never lost by accident.
/// </summary>
internal static class EarlierRun
{
    /// <summary>
    /// True to continue the checkpoint; false to start afresh (nothing to continue yet, or --overwrite).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The folder holds a run and neither flag was given, or --resume found a finished model without a checkpoint.
    /// </exception>
    public static bool Continues(string output, bool resume, bool overwrite, string checkpointPath, string modelPath)
    {
        var folder = Path.GetFullPath(output);
        var checkpointName = Path.GetFileName(checkpointPath);
        var modelName = Path.GetFileName(modelPath);
        if (resume)
        {
            if (File.Exists(checkpointPath)) return true;
            if (File.Exists(modelPath))
                throw new InvalidOperationException(
                    $"--resume: '{folder}' holds a {modelName} but no {checkpointName} to continue from; train it anew with --overwrite instead of --resume, or choose another --output.");
            return false; // nothing to continue yet: the same command line starts the run
        }
        if (!overwrite && (File.Exists(checkpointPath) || File.Exists(modelPath)))
            throw new InvalidOperationException(
                $"'{folder}' already holds a training run ({(File.Exists(checkpointPath) ? checkpointName : modelName)}): " +
                "add --resume to continue it, --overwrite to replace it, or choose another --output.");
        return false;
    }
}
