using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace Vae.Service.Tests;

/// <summary>
/// The page at / in a real browser: Debian's chromium driven by Playwright, against the service listening on loopback.
/// Chromium must be installed (<c>apt-get install -y chromium</c>); without it the test fails saying so.
/// </summary>
[Collection(ServedModelsCollection.Name)]
public sealed class PageTests(ServedModels models)
{
    private const string Chromium = "/usr/bin/chromium";

    // The image as the browser decoded it: a hash of its red channel, how many gray levels it has, and its width.
    private const string Signature = """
        async selector => {
          const img = document.querySelector(selector);
          await img.decode();
          const canvas = document.createElement("canvas");
          canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
          const context = canvas.getContext("2d");
          context.drawImage(img, 0, 0);
          const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
          let hash = 0; const levels = new Set();
          for (let i = 0; i < data.length; i += 4) { hash = (hash * 31 + data[i]) >>> 0; levels.add(data[i]); }
          return JSON.stringify({ hash, levels: levels.size, width: canvas.width });
        }
        """;

    [Fact]
    public async Task ThePageDecodesClickedPointsDrawsTheChosenClassAndShowsABadCSVsError()
    {
        File.Exists(Chromium).Should().BeTrue($"the page test drives Debian's chromium at {Chromium}: install it with `apt-get install -y chromium` (Playwright cannot download its own browsers here)");
        await using var app = Program.Build(["--model", models.Digits, "--urls", "http://127.0.0.1:0", "--no-reload"]);
        await app.StartAsync();
        var address = app.Urls.Single();
        using var playwright = await Playwright.CreateAsync();
        // Root (as CI runs) needs --no-sandbox.
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(address);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        (await page.TextContentAsync("#info")).Should().Contain("784-64-2");

        await page.Locator("#plane").ClickAsync(new() { Position = new() { X = 50, Y = 60 } });
        await page.WaitForSelectorAsync("#decoded[data-loads='1']");
        var first = await ImageOf(page, "#decoded");
        await page.Locator("#plane").ClickAsync(new() { Position = new() { X = 310, Y = 290 } });
        await page.WaitForSelectorAsync("#decoded[data-loads='2']");
        var second = await ImageOf(page, "#decoded");
        first.Width.Should().Be(28 * 8 + 4);
        second.Hash.Should().NotBe(first.Hash, "two points of the plane decode to two different digits");
        (await page.TextContentAsync("#z")).Should().Contain("(");

        var loads = await page.GetAttributeAsync("#row", "data-loads");
        var zeros = await ImageOf(page, "#row");
        await page.SelectOptionAsync("#digit", "7");
        await page.WaitForFunctionAsync($"document.querySelector('#row').dataset.loads !== '{loads}'");
        var sevens = await ImageOf(page, "#row");
        sevens.Hash.Should().NotBe(zeros.Hash, "choosing 7 draws other digits");
        // A blank grid has two gray levels (black tiles, white gaps); decoded digits have many.
        sevens.Levels.Should().BeGreaterThan(20, "the row of sevens is not blank");

        await page.FillAsync("#csv", "0.1,0.2,abc");
        await page.ClickAsync("#score");
        await page.WaitForFunctionAsync("document.querySelector('#error').textContent.length > 0");
        (await page.TextContentAsync("#error")).Should().Be("CSV line 1, column 3: 'abc' is not a number.");

        await page.ClickAsync("#fill");
        await page.ClickAsync("#score");
        await page.WaitForSelectorAsync("#scores tr:nth-child(4)");
        (await page.TextContentAsync("#error")).Should().BeEmpty();
        errors.Should().BeEmpty();
        await app.StopAsync();
    }

    private static async Task<(long Hash, int Levels, int Width)> ImageOf(IPage page, string selector)
    {
        using var json = JsonDocument.Parse(await page.EvaluateAsync<string>(Signature, selector));
        var root = json.RootElement;
        return (root.GetProperty("hash").GetInt64(), root.GetProperty("levels").GetInt32(), root.GetProperty("width").GetInt32());
    }
}
