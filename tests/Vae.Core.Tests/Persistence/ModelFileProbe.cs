using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>
/// The entry point of the test assembly: <c>dotnet Vae.Core.Tests.dll load-model &lt;path&gt;</c> loads a model file
/// knowing nothing about it and prints its architecture and its reconstruction of <see cref="ProbeInput"/>, so a test
/// can check that a file is usable from a process other than the one that wrote it.
/// </summary>
internal static class ModelFileProbe
{
    private const string Command = "load-model";

    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == Runtime.CollectionStress.Command)
            return Runtime.CollectionStress.Run(args[1], double.Parse(args[2], CultureInfo.InvariantCulture));
        if (args.Length != 2 || args[0] != Command)
        {
            Console.Error.WriteLine($"usage: {Command} <model file>");
            return 2;
        }
        try
        {
            using var model = VariationalAutoencoder.Load(args[1]);
            Console.WriteLine(model.Options);
            foreach (var value in Reconstruction(model)) Console.WriteLine(value.ToString("R", CultureInfo.InvariantCulture));
            return 0;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>Three rows that depend only on the input size.</summary>
    public static Tensor ProbeInput(int inputSize) => linspace(0, 1, 3 * inputSize).reshape(3, inputSize);

    public static float[] Reconstruction(VariationalAutoencoder model)
    {
        using var scope = NewDisposeScope();
        return model.Reconstruct(ProbeInput(model.Options.InputSize)).data<float>().ToArray();
    }

    /// <summary>Runs the probe on <paramref name="path"/> in a new process and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) RunInSeparateProcess(string path)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromCli
            ? fromCli
            : Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ModelFileProbe).Assembly.Location);
        start.ArgumentList.Add(Command);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException("The probe process did not finish within two minutes.");
        }
        return (process.ExitCode, output, error.Result);
    }
}
