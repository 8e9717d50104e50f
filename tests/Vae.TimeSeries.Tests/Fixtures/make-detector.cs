// Writes NAME.vae and NAME-scores.txt: a detector file of the format of the library beside it, and the scores it gives
// afterwards. Each older format's file was made once with the library of that format, from this folder:
//   git checkout 3a1d122 -- ../../../src/Vae.Core && dotnet run make-detector.cs -- detector-v2
//     (format 2: the range score calibrated against its history, seasonal and level-shift digits 100 and 30)
//   git checkout 21562b2 -- ../../../src/Vae.Core && dotnet run make-detector.cs -- detector-v3
//     (format 3: the range score on its fixed scale, before VaeScoreGate: the VAE's score counted at every point)
// then git checkout HEAD -- ../../../src/Vae.Core. StreamScoreTests.AFileOfFormatTwoLoadsAndContinuesAsItDid and
// ...ThreeLoadsAndContinuesAsItDid load them with today's library and compare.
#:project ../../../src/Vae.Core/Vae.Core.csproj
// The backend named here: without it TorchSharp takes any libtorch on the loader path (Debian's python3-torch: 2.6) and crashes.
#:package TorchSharp-cpu@0.107.0
#:property TieredCompilation=false
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
using System.Globalization;
using Vae.Core;
using Vae.Core.TimeSeries;

var name = args.Length == 1 ? args[0] : throw new ArgumentException("usage: dotnet run make-detector.cs -- NAME (detector-v2, detector-v3, ...)");
VaeRuntime.SetCpuThreads(1);
var start = new DateTime(2024, 1, 1);
var timestamps = Enumerable.Range(0, 400).Select(i => start + TimeSpan.FromMinutes(5 * i)).ToArray();
var random = new Random(1);
var rows = Enumerable.Range(0, 400).Select(i => new[] { (10 * Math.Sin(2 * Math.PI * i / 48)) + 50 + (random.NextDouble() - 0.5) }).ToArray();
rows[330] = [rows[330][0] + 40];                           // far beyond every value seen
rows[360] = [rows.Take(360).Max(r => r[0]) + 2];           // a little beyond: the range rules differ here
for (var i = 370; i < 400; i++) rows[i] = [rows[i][0] + 3]; // a level shift within the range
var options = new TimeSeriesDetectorOptions
{
    WindowSize = 16, HiddenSizes = [16], LatentSize = 3, Epochs = 4, BatchSize = 32, CalibrationHistory = 200,
    LevelShiftPoints = 16, LevelShiftWindow = 60,
};
using (var detector = TimeSeriesDetector.Train(timestamps[..120], rows[..120], options))
{
    detector.ObserveMany(timestamps[120..250], rows[120..250]);
    detector.Save($"{name}.vae");
}
using var loaded = TimeSeriesDetector.Load($"{name}.vae");
var scores = loaded.ObserveMany(timestamps[250..], rows[250..]);
File.WriteAllLines($"{name}-scores.txt", scores.Select(s => string.Create(CultureInfo.InvariantCulture,
    $"{BitConverter.DoubleToInt64Bits(s.RawScore)} {BitConverter.DoubleToInt64Bits(s.Score)} {s.IsAnomaly}")));
Console.WriteLine($"{scores.Count(s => s.IsAnomaly)} anomalies; highest score {scores.Max(s => s.Score):F4}");
