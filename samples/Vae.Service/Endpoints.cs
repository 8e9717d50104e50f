using System.Globalization;
using System.Reflection;
using Vae.Core;
using Vae.Extensions.Hosting;
using static TorchSharp.torch;

namespace Vae.Service;

/// <summary>The service's routes. Every handler holds a lease on the served model for its whole run.</summary>
internal static class Endpoints
{
    private const int MaxCount = 256;
    private const int MaxScale = 16;
    private const double PlaneExtent = 3;

    public static void Map(WebApplication app)
    {
        app.MapGet("/", () => Results.Content(Page.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/info", Info).WithSummary("The served model's architecture, sizes and version.");
        app.MapPost("/score", Score).Accepts<ScoreRequest>("application/json", "text/csv")
            .WithSummary("Anomaly scores (negative ELBO at the posterior mean, nats) and flags (score > threshold) of rows.");
        app.MapPost("/encode", Encode).Accepts<ScoreRequest>("application/json", "text/csv").WithSummary("The posterior means of rows.");
        app.MapGet("/sample", Sample).WithSummary("A PNG grid of generated images; digit picks the class of a conditional model.");
        app.MapGet("/decode", Decode).WithSummary("A PNG of one decoded latent point z (comma-separated).");
        app.MapGet("/plane", Plane).WithSummary("A PNG grid decoding the latent square [-3, 3]^2 of a 2-D latent model, top row y = 3.");
    }

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Vae.Service.Page.index.html")
            ?? throw new InvalidOperationException("The page is missing from the program's resources.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static IResult Info(VaeModelProvider models)
    {
        using var lease = models.Acquire();
        var options = lease.Model.Options;
        int? height = null, width = null;
        try
        {
            (height, width) = Pictures.ImageShape(options);
        }
        catch (BadInputException)
        {
        }
        return Results.Ok(new
        {
            architecture = options.ToString(),
            inputSize = options.InputSize,
            rowWidth = options.InputSize + (options.ConditionClasses > 0 ? options.ConditionClasses : options.ConditionSize),
            latentSize = options.LatentSize,
            conditionClasses = options.ConditionClasses,
            likelihood = options.Likelihood.ToString(),
            imageHeight = height,
            imageWidth = width,
            threshold = Finite(lease.Detector.Threshold),
            modelVersion = lease.Snapshot.Version,
            file = lease.Snapshot.Path,
        });
    }

    private static async Task<IResult> Score(HttpRequest request, VaeModelProvider models) => await Guarded(async () =>
    {
        var rows = await RowsReader.Read(request);
        using var lease = models.Acquire();
        using var scope = NewDisposeScope();
        // A tensor rather than the array overloads: a conditional model's rows carry the one-hot condition after the features.
        var results = lease.Detector.Detect(RowsReader.ToTensor(rows));
        return Results.Ok(new ScoreResponse(
            results.Select(r => r.Score).ToArray(), results.Select(r => r.IsAnomalous).ToArray(), Finite(lease.Detector.Threshold), lease.Snapshot.Version));
    });

    private static async Task<IResult> Encode(HttpRequest request, VaeModelProvider models) => await Guarded(async () =>
    {
        var rows = await RowsReader.Read(request);
        using var lease = models.Acquire();
        using var scope = NewDisposeScope();
        var means = lease.Model.Encode(RowsReader.ToTensor(rows)).cpu().to_type(ScalarType.Float32);
        var width = (int)means.shape[1];
        var flat = means.contiguous().data<float>().ToArray();
        return Results.Ok(new { means = Enumerable.Range(0, rows.Length).Select(i => flat[(i * width)..((i + 1) * width)]).ToArray(), modelVersion = lease.Snapshot.Version });
    });

    private static Task<IResult> Sample(VaeModelProvider models, int? count, int? digit, long? seed, int? scale) => Guarded(() =>
    {
        var n = count ?? 16;
        if (n < 1 || n > MaxCount) throw new BadInputException($"count must lie in [1, {MaxCount}], but was {n}.");
        using var lease = models.Acquire();
        var options = lease.Model.Options;
        CheckDigit(options, digit);
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)(seed ?? Random.Shared.NextInt64())));
        Tensor images;
        if (options.ConditionClasses > 0)
        {
            // Without a digit, the classes in turn.
            var labels = digit is int d ? Labels(n, d) : tensor(Enumerable.Range(0, n).Select(i => (long)(i % options.ConditionClasses)).ToArray(), ScalarType.Int64);
            var z = randn([n, options.LatentSize], generator: generator);
            images = lease.Model.Decode(z, ConditionalData.OneHot(labels, options.ConditionClasses));
        }
        else
        {
            images = lease.Model.Sample(n, generator);
        }
        return Task.FromResult(Png(Pictures.Grid(images, options, Math.Min(n, 8), Scale(scale, 2))));
    });

    private static Task<IResult> Decode(VaeModelProvider models, string? z, int? digit, int? scale) => Guarded(() =>
    {
        if (string.IsNullOrWhiteSpace(z)) throw new BadInputException("z is required: the latent point, comma-separated (z=0.5,-1).");
        var values = z.Split(',').Select((text, i) => float.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)
            ? v : throw new BadInputException($"z value {i}: '{text.Trim()}' is not a finite number.")).ToArray();
        using var lease = models.Acquire();
        var options = lease.Model.Options;
        if (values.Length != options.LatentSize)
            throw new BadInputException($"z has {values.Length} values, but the {options} model's latent space has {options.LatentSize}.");
        CheckDigit(options, digit);
        using var scope = NewDisposeScope();
        var images = DecodeAt(lease.Model, tensor(values).view(1, -1), digit);
        return Task.FromResult(Png(Pictures.Grid(images, options, 1, Scale(scale, 8))));
    });

    private static Task<IResult> Plane(VaeModelProvider models, int? size, int? digit, int? scale) => Guarded(() =>
    {
        var n = size ?? 12;
        if (n < 2 || n > 32) throw new BadInputException($"size must lie in [2, 32], but was {n}.");
        using var lease = models.Acquire();
        var options = lease.Model.Options;
        if (options.LatentSize != 2) throw new BadInputException($"The {options} model's latent space has {options.LatentSize} dimensions; the plane needs 2 (train with --latent 2).");
        CheckDigit(options, digit);
        using var scope = NewDisposeScope();
        var points = new float[n * n * 2];
        for (var row = 0; row < n; row++)
        for (var column = 0; column < n; column++)
        {
            points[2 * (row * n + column)] = (float)(-PlaneExtent + 2 * PlaneExtent * column / (n - 1));
            points[2 * (row * n + column) + 1] = (float)(PlaneExtent - 2 * PlaneExtent * row / (n - 1));
        }
        var images = DecodeAt(lease.Model, tensor(points).view(n * n, 2), digit);
        return Task.FromResult(Png(Pictures.Grid(images, options, n, Scale(scale, 1))));
    });

    private static Tensor DecodeAt(VariationalAutoencoder model, Tensor z, int? digit)
    {
        var classes = model.Options.ConditionClasses;
        if (classes == 0) return model.Decode(z);
        return model.Decode(z, ConditionalData.OneHot(Labels(z.shape[0], digit ?? 0), classes));
    }

    // A tensor of one label, built from an array rather than full(n, value): an implicit Scalar passed to libtorch can
    // be finalized by the GC during the native call under load (see Vae.Core's ScalarScope).
    private static Tensor Labels(long count, int label) => tensor(Enumerable.Repeat((long)label, (int)count).ToArray(), ScalarType.Int64);

    private static void CheckDigit(VaeOptions options, int? digit)
    {
        if (digit is not int d) return;
        if (options.ConditionClasses == 0)
            throw new BadInputException($"digit={d}, but the {options} model is not conditional: train it with --conditional to choose the class.");
        if (d < 0 || d >= options.ConditionClasses)
            throw new BadInputException($"digit must lie in [0, {options.ConditionClasses - 1}], but was {d}.");
    }

    private static int Scale(int? scale, int fallback)
    {
        var s = scale ?? fallback;
        return s is >= 1 and <= MaxScale ? s : throw new BadInputException($"scale must lie in [1, {MaxScale}], but was {s}.");
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static IResult Png(byte[] bytes) => Results.File(bytes, "image/png");

    // The library's ArgumentException messages name the row and the problem: they are the client's to read.
    private static async Task<IResult> Guarded(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Exception e) when (e is BadInputException or ArgumentException)
        {
            return Results.Problem(detail: e.Message, statusCode: StatusCodes.Status400BadRequest, title: "Bad input");
        }
    }
}
