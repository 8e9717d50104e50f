using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Vae.Service.Tests;

/// <summary>The routes, in process through WebApplicationFactory, on the trained digit detector.</summary>
[Collection(ServedModelsCollection.Name)]
public sealed class EndpointTests(ServedModels models) : IDisposable
{
    private readonly List<WebApplicationFactory<Program>> factories = [];

    public void Dispose()
    {
        foreach (var factory in factories) factory.Dispose();
    }

    private HttpClient Client(string modelPath)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web.UseSetting("Vae:ModelPath", modelPath).UseSetting("Vae:ReloadOnChange", "false"));
        factories.Add(factory);
        return factory.CreateClient();
    }

    [Fact]
    public async Task ScoreTakesJSONRowsAndGivesTheLibrarysScoresAndFlags()
    {
        using var client = Client(models.Digits);

        var response = await client.PostAsJsonAsync("/score", new { rows = models.TestRows });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<ScoreResponse>())!;
        var expected = models.LibraryScores(models.TestRows);
        body.Scores.Should().Equal(expected);
        body.Flags.Should().Equal(expected.Select(s => s > models.Threshold));
        body.Threshold.Should().Be(models.Threshold);
        body.ModelVersion.Should().Be(1);
    }

    [Fact]
    public async Task ScoreTakesACSVBodyWithOrWithoutAHeaderAndABareJSONArray()
    {
        using var client = Client(models.Digits);
        var lines = models.TestRows.Select(r => string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        var header = string.Join(",", Enumerable.Range(0, 794).Select(i => $"f{i}"));
        var expected = models.LibraryScores(models.TestRows);

        foreach (var csv in new[] { string.Join("\n", lines), header + "\r\n" + string.Join("\r\n", lines) + "\r\n" })
        {
            var response = await client.PostAsync("/score", new StringContent(csv, Encoding.UTF8, "text/csv"));
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            (await response.Content.ReadFromJsonAsync<ScoreResponse>())!.Scores.Should().Equal(expected);
        }
        var bare = await client.PostAsync("/score", new StringContent(JsonSerializer.Serialize(models.TestRows), Encoding.UTF8, "application/json"));
        (await bare.Content.ReadFromJsonAsync<ScoreResponse>())!.Scores.Should().Equal(expected);
    }

    [Theory]
    [InlineData("text/csv", "1,2,3\n4,5", "Row 1 has 2 values, but row 0 has 3.")]
    [InlineData("text/csv", "0.5,abc", "CSV line 1, column 2: 'abc' is not a number.")]
    [InlineData("application/json", "{\"rows\": [[1, 2], \"x\"]}", "Row 1 must be an array of numbers*")]
    [InlineData("application/json", "{\"rows\": [[1, 2]", "The body is not valid JSON*")]
    [InlineData("text/csv", "", "The body holds no rows.")]
    public async Task BadRowsGet400WithTheMessage(string type, string body, string message)
    {
        using var client = Client(models.Digits);

        var response = await client.PostAsync("/score", new StringContent(body, Encoding.UTF8, type));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(response)).Should().Match(message);
    }

    [Fact]
    public async Task TheWidthMessageIsTheLibrarys()
    {
        using var client = Client(models.Digits);
        using var detector = Vae.Core.AnomalyDetector.Load(models.Digits);
        using var rows = TorchSharp.torch.tensor(new float[] { 1, 2, 3 }, [1, 3]);
        var library = FluentActions.Invoking(() => detector.Score(rows)).Should().Throw<ArgumentException>().Which.Message;

        var response = await client.PostAsync("/score", new StringContent("1,2,3", Encoding.UTF8, "text/csv"));

        (await Detail(response)).Should().Be(library);
    }

    [Fact]
    public async Task SampleGivesAPNGGridOfTheChosenDigitAndRefusesBadQueries()
    {
        using var client = Client(models.Digits);

        var sevens = await client.GetAsync("/sample?count=16&digit=7&seed=3");
        var ones = await client.GetAsync("/sample?count=16&digit=1&seed=3");

        sevens.StatusCode.Should().Be(HttpStatusCode.OK);
        sevens.Content.Headers.ContentType!.MediaType.Should().Be("image/png");
        var png = await sevens.Content.ReadAsByteArrayAsync();
        png[..8].Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        // 8 columns and 2 rows of 28 x 28 at scale 2 with 2-pixel gaps: 8 * 56 + 9 * 2 wide, 2 * 56 + 3 * 2 high.
        PngSize(png).Should().Be((8 * 56 + 9 * 2, 2 * 56 + 3 * 2));
        (await ones.Content.ReadAsByteArrayAsync()).Should().NotEqual(png);
        (await client.GetByteArrayAsync("/sample?count=16&digit=7&seed=3")).Should().Equal(png, "one seed draws the same digits");

        (await Detail(await client.GetAsync("/sample?count=0"))).Should().Contain("count must lie in [1, 256]");
        (await Detail(await client.GetAsync("/sample?digit=12"))).Should().Contain("digit must lie in [0, 9]");
    }

    [Fact]
    public async Task DecodeAndPlaneDrawLatentPoints()
    {
        using var client = Client(models.Digits);

        var a = await client.GetByteArrayAsync("/decode?z=-1.5,1&digit=3&scale=8");
        var b = await client.GetByteArrayAsync("/decode?z=1.5,-1&digit=3&scale=8");

        PngSize(a).Should().Be((28 * 8 + 4, 28 * 8 + 4));
        b.Should().NotEqual(a);
        PngSize(await client.GetByteArrayAsync("/plane?size=4&digit=3")).Should().Be((4 * 28 + 5, 4 * 28 + 5));
        (await Detail(await client.GetAsync("/decode?z=1,2,3"))).Should().Contain("z has 3 values, but the").And.Contain("has 2");
        (await Detail(await client.GetAsync("/decode?z=1,x"))).Should().Contain("z value 1: 'x' is not a finite number.");
    }

    [Fact]
    public async Task EncodeGivesThePosteriorMeans()
    {
        using var client = Client(models.Digits);
        using var model = Vae.Core.VariationalAutoencoder.Load(models.Digits);

        var response = await client.PostAsJsonAsync("/encode", new { rows = models.TestRows });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var means = json.RootElement.GetProperty("means").Deserialize<float[][]>()!;
        using var rows = TorchSharp.torch.tensor(models.TestRows.SelectMany(r => r).ToArray(), [3, 794]);
        using var expected = model.Encode(rows);
        means.SelectMany(m => m).Should().Equal(expected.data<float>().ToArray());
    }

    [Fact]
    public async Task AModelThatIsNotAConditionalImageModelSaysSo()
    {
        using var client = Client(models.Table);

        (await Detail(await client.GetAsync("/sample?count=2"))).Should().Contain("5 features are not a square grayscale image");
        (await Detail(await client.GetAsync("/sample?digit=7"))).Should().Contain("is not conditional");
        (await Detail(await client.GetAsync("/plane"))).Should().Contain("latent space has 3 dimensions; the plane needs 2");
        var scored = await client.PostAsync("/score", new StringContent("0.1,0.2,0.3,0.4,0.5", Encoding.UTF8, "text/csv"));
        var body = (await scored.Content.ReadFromJsonAsync<ScoreResponse>())!;
        body.Threshold.Should().BeNull("a model without a detector flags nothing");
        body.Flags.Should().Equal(false);
    }

    [Fact]
    public async Task HealthInfoPageAndOpenAPIAnswer()
    {
        using var client = Client(models.Digits);

        using var health = JsonDocument.Parse(await client.GetStringAsync("/health"));
        health.RootElement.GetProperty("status").GetString().Should().Be("Healthy");
        var check = health.RootElement.GetProperty("checks").GetProperty("vae");
        check.GetProperty("data").GetProperty("file").GetString().Should().Be(models.Digits);
        check.GetProperty("data").GetProperty("architecture").GetString().Should().Contain("784-64-2");
        check.GetProperty("data").GetProperty("loadMilliseconds").GetDouble().Should().BeGreaterThan(0);

        using var info = JsonDocument.Parse(await client.GetStringAsync("/info"));
        info.RootElement.GetProperty("latentSize").GetInt32().Should().Be(2);
        info.RootElement.GetProperty("conditionClasses").GetInt32().Should().Be(10);
        info.RootElement.GetProperty("rowWidth").GetInt32().Should().Be(794);

        var page = await client.GetAsync("/");
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await page.Content.ReadAsStringAsync()).Should().Contain("id=\"plane\"");

        using var openApi = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        paths.Should().Contain(["/score", "/encode", "/sample", "/decode", "/plane", "/info"]);
    }

    private static async Task<string> Detail(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("detail").GetString()!;
    }

    // The width and height of the IHDR chunk, big-endian at bytes 16 and 20.
    private static (int Width, int Height) PngSize(byte[] png) =>
        (png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19], png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23]);
}
