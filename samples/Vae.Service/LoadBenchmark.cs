using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Vae.Extensions.Hosting;

namespace Vae.Service;

/// <summary>
/// <c>bench</c>: the service under concurrent load on loopback, bounded in time and count. Workers alternate
/// POST /score (16 rows as JSON) and GET /sample?count=16; each round prints requests per second, p50 and p99 latency
/// per route, errors, the managed heap and the working set; the served file (a copy in a temporary folder) is replaced
/// atomically every <c>--replace-ms</c> throughout, and every answer must still be a 200.
/// </summary>
internal static class LoadBenchmark
{
    internal const string Usage = """
        usage: dotnet run --project samples/Vae.Service -c Release -- bench --model FILE [--rounds 4] [--seconds 5] [--max-requests 20000] [--concurrency 8] [--replace-ms 1000]

        Serves a copy of FILE on 127.0.0.1 (a free port) and loads it from this process: per round, for at most
        --seconds or --max-requests, --concurrency workers alternate POST /score (16 rows) and GET /sample?count=16.
        The copy is replaced atomically every --replace-ms (0: never). Exits 1 if any request failed.
        """;

    public static async Task<int> Run(string[] args)
    {
        string? model = null;
        int rounds = 4, seconds = 5, maxRequests = 20000, concurrency = 8, replaceMs = 1000;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number(string name, int min, int max)
            {
                var text = Value();
                return int.TryParse(text, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n : throw new ArgumentException($"{name} must be a whole number in [{min}, {max}], but was '{text}'.");
            }
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--rounds": rounds = Number("--rounds", 1, 100); break;
                case "--seconds": seconds = Number("--seconds", 1, 120); break;
                case "--max-requests": maxRequests = Number("--max-requests", 1, 10_000_000); break;
                case "--concurrency": concurrency = Number("--concurrency", 1, 256); break;
                case "--replace-ms": replaceMs = Number("--replace-ms", 0, 600_000); break;
                default: throw new ArgumentException($"Unexpected argument '{args[i]}' for bench.");
            }
        }
        if (model is null) throw new ArgumentException("bench needs --model FILE.");
        if (!File.Exists(model)) throw new ArgumentException($"--model '{model}': there is no such file.");

        var folder = Directory.CreateTempSubdirectory("vae-service-bench-").FullName;
        try
        {
            var served = Path.Combine(folder, "served.vae");
            var bytes = await File.ReadAllBytesAsync(model);
            await File.WriteAllBytesAsync(served, bytes);
            await using var app = Program.Build(["--model", served, "--urls", "http://127.0.0.1:0", "--Vae:ReloadDelay=00:00:00.050"]);
            await app.StartAsync();
            var provider = app.Services.GetRequiredService<VaeModelProvider>();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
            var info = await client.GetFromJsonAsync<Info>("/info") ?? throw new InvalidOperationException("/info answered nothing.");
            var body = JsonRows(info);
            var digit = info.ConditionClasses > 0 ? "&digit=7" : "";
            var imageModel = info.ImageHeight is not null;
            Console.WriteLine($"bench: {info.Architecture} on {client.BaseAddress}, {concurrency} workers, rounds of at most {seconds} s or {maxRequests} requests, file replaced every {replaceMs} ms; {Environment.ProcessorCount} cores");
            Console.WriteLine("round  requests  req/s   score p50/p99 ms   sample p50/p99 ms   errors  reloads  heap MB  working set MB");
            var totalErrors = 0L;
            for (var round = 1; round <= rounds; round++)
            {
                var result = await Round(client, body, digit, imageModel, concurrency, TimeSpan.FromSeconds(seconds), maxRequests, replaceMs, served, bytes);
                totalErrors += result.Errors;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var heap = GC.GetTotalMemory(forceFullCollection: true) / 1e6;
                var workingSet = Process.GetCurrentProcess().WorkingSet64 / 1e6;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{round,5}  {result.Requests,8}  {result.Requests / result.Elapsed.TotalSeconds,5:F0}   {Percentile(result.Score, 50),6:F1} / {Percentile(result.Score, 99),6:F1}    {Percentile(result.Sample, 50),6:F1} / {Percentile(result.Sample, 99),6:F1}     {result.Errors,6}  {provider.Reloads,7}  {heap,7:F1}  {workingSet,14:F0}"));
                foreach (var error in result.FirstErrors) Console.WriteLine($"  error: {error}");
            }
            Console.WriteLine($"bench: {totalErrors} failed requests; {provider.Reloads} reloads, {provider.FailedReloads} failed reloads; model version {provider.Current.Version} at the end.");
            await app.StopAsync();
            return totalErrors == 0 && provider.FailedReloads == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<RoundResult> Round(HttpClient client, string body, string digit, bool imageModel, int concurrency, TimeSpan duration, int maxRequests,
        int replaceMs, string served, byte[] bytes)
    {
        var score = new List<double>[concurrency];
        var sample = new List<double>[concurrency];
        var errors = 0L;
        var firstErrors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var started = 0L;
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var replacer = replaceMs == 0 ? Task.CompletedTask : Task.Run(async () =>
        {
            var temporary = served + ".new";
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(replaceMs, stop.Token);
                    await File.WriteAllBytesAsync(temporary, bytes);
                    File.Move(temporary, served, overwrite: true);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            score[w] = [];
            sample[w] = [];
            var request = 0;
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref started) <= maxRequests)
            {
                var isScore = !imageModel || (w + request++) % 2 == 0;
                var begin = Stopwatch.GetTimestamp();
                try
                {
                    using var response = isScore
                        ? await client.PostAsync("/score", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))
                        : await client.GetAsync($"/sample?count=16{digit}");
                    var content = await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        if (firstErrors.Count < 5) firstErrors.Enqueue($"{(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(content)}");
                        continue;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                    if (firstErrors.Count < 5) firstErrors.Enqueue(e.Message);
                    continue;
                }
                (isScore ? score[w] : sample[w]).Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await replacer;
        var scores = score.SelectMany(s => s).Order().ToArray();
        var samples = sample.SelectMany(s => s).Order().ToArray();
        return new RoundResult(scores.Length + samples.Length + errors, elapsed, scores, samples, errors, [.. firstErrors]);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    // 16 rows of the model's width in [0, 1] (a one-hot class after the features of a conditional model).
    private static string JsonRows(Info info)
    {
        var rows = Enumerable.Range(0, 16).Select(r =>
        {
            var values = Enumerable.Range(0, info.InputSize).Select(i => (i * (r + 1)) % 97 / 97f);
            var condition = Enumerable.Range(0, info.ConditionClasses).Select(c => c == r % Math.Max(1, info.ConditionClasses) ? 1f : 0f);
            return values.Concat(condition).ToArray();
        }).ToArray();
        return System.Text.Json.JsonSerializer.Serialize(new { rows });
    }

    private sealed record Info(string Architecture, int InputSize, int LatentSize, int ConditionClasses, int? ImageHeight);

    private sealed record RoundResult(long Requests, TimeSpan Elapsed, double[] Score, double[] Sample, long Errors, string[] FirstErrors);
}
