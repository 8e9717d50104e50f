using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Vae.Core;
using Vae.Extensions.Hosting;

namespace Vae.Service;

/// <summary>
/// A scoring and generation service for a model file: POST /score, POST /encode, GET /sample, GET /decode, GET /plane,
/// GET /info, GET /health, the OpenAPI document at /openapi/v1.json and a page at /.
/// </summary>
/// <remarks>A class rather than a static class, so that tests can name it as the entry point of a <c>WebApplicationFactory</c>.</remarks>
public sealed class Program
{
    private Program()
    {
    }

    /// <summary>The usage text of <c>--help</c>.</summary>
    internal const string Usage = """
        usage: dotnet run --project samples/Vae.Service -c Release -- --model FILE [--urls URL] [--threads N] [--no-reload]

        Serves a model file (.vae, from VariationalAutoencoder.Save or AnomalyDetector.Save) over HTTP:
          POST /score       JSON {"rows": [[...], ...]} or [[...], ...], or a text/csv body (numbers, an optional header line)
                            -> {"scores": [...], "flags": [...], "threshold": t, "modelVersion": v}
          POST /encode      the same bodies -> {"means": [[...], ...]}, the posterior means
          GET  /sample      ?count=16&digit=7&seed=1&scale=2 -> PNG grid of generated images (digit: conditional models)
          GET  /decode      ?z=0.5,-1&digit=7&scale=8 -> PNG of the decoded latent point
          GET  /plane       ?size=12&digit=7 -> PNG grid decoding the latent square [-3, 3]^2 of a 2-D latent model
          GET  /info        the model's architecture, sizes and version
          GET  /health      the health check: file, architecture, load time; degraded after a failed reload
          GET  /openapi/v1.json, and a page at /
        Bad input gets HTTP 400 with the library's message. The file is reloaded when it is replaced.

        options:
          --model FILE     the model file to serve (or the setting Vae:ModelPath)
          --urls URL       where to listen (default http://localhost:5000)
          --threads N      libtorch threads per operation (default 1: concurrent requests use the cores)
          --no-reload      do not watch the file
          -h, --help       this text

        bench --model FILE [...]: a load benchmark on loopback (see bench --help).

        Train a model for the page: dotnet run --project samples/Vae.Mnist -c Release -- train --latent 2 --conditional --output svc
        """;

    /// <summary>Runs the service until it is stopped.</summary>
    /// <param name="args">The command line (see <see cref="Usage"/>); other <c>--Key value</c> pairs are configuration.</param>
    /// <returns>0 after a clean stop or <c>--help</c>; 2 for a bad command line or a model that cannot be served.</returns>
    public static int Main(string[] args)
    {
        if (args is ["bench", ..])
        {
            if (args.Contains("--help") || args.Contains("-h"))
            {
                Console.WriteLine(LoadBenchmark.Usage);
                return 0;
            }
            try
            {
                return LoadBenchmark.Run(args[1..]).GetAwaiter().GetResult();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }
        if (args is ["-h" or "--help", ..] || args.Contains("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        WebApplication app;
        try
        {
            app = Build(args);
            app.Start();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException or Microsoft.Extensions.Options.OptionsValidationException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run with --help for the usage.");
            return 2;
        }
        foreach (var address in app.Urls) Console.WriteLine($"Serving {app.Services.GetRequiredService<VaeModelProvider>().Current.Architecture} on {address}");
        app.WaitForShutdown();
        return 0;
    }

    /// <summary>The app, configured from <paramref name="args"/> but not started.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The built app.</returns>
    /// <exception cref="ArgumentException">An option is malformed.</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(ConfigurationArguments(args));
        var threads = builder.Configuration.GetValue("Service:Threads", 1);
        if (threads < 1) throw new ArgumentException($"--threads must be a positive number, but was {threads}.");
        VaeRuntime.SetCpuThreads(threads);
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Vae", LogLevel.Information).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        builder.Services.AddVae(builder.Configuration.GetSection("Vae"));
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);
        var app = builder.Build();
        app.MapOpenApi();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.Write });
        Endpoints.Map(app);
        return app;
    }

    // The sample's own options become configuration keys; everything else is passed through as given.
    private static string[] ConfigurationArguments(string[] args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--model": result.Add($"--Vae:ModelPath={Value()}"); break;
                case "--threads":
                    var text = Value();
                    if (!int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
                        throw new ArgumentException($"--threads must be a positive number, but was '{text}'.");
                    result.Add($"--Service:Threads={n}");
                    break;
                case "--no-reload": result.Add("--Vae:ReloadOnChange=false"); break;
                default:
                    // Other settings as configuration: --urls URL, --Vae:ReloadDelay=00:00:01.
                    if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{args[i]}'.");
                    var name = args[i];
                    result.Add(name);
                    if (!name.Contains('=')) result.Add(Value());
                    break;
            }
        }
        return [.. result];
    }
}
