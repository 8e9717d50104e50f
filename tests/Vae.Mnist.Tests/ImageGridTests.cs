using SkiaSharp;
using TorchSharp;
using Vae.Samples.Rendering;

namespace Vae.Mnist.Tests;

public sealed class ImageGridTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(5, 3, 4, 2, 3, 2)]
    [InlineData(64, 28, 28, 8, 1, 1)]
    [InlineData(1, 2, 5, 4, 2, 0)]
    public void PictureSizeFollowsCountColumnsScaleAndGap(int count, int height, int width, int columns, int scale, int gap)
    {
        var path = folder.File("grid.png");
        ImageGrid.Save(path, new float[count * height * width], height, width, columns, new ImageGridOptions { Scale = scale, Gap = gap });

        var rows = (count + columns - 1) / columns;
        using var bitmap = Png.Decode(path);
        bitmap.Width.Should().Be(columns * width * scale + (columns + 1) * gap);
        bitmap.Height.Should().Be(rows * height * scale + (rows + 1) * gap);
    }

    [Fact]
    public void TitlesAndCaptionAddTheirBands()
    {
        const int count = 6, side = 4, columns = 3, scale = 2, gap = 3, titleHeight = 15, captionHeight = 21;
        var path = folder.File("titled.png");
        ImageGrid.Save(path, new float[count * side * side], side, side, columns, new ImageGridOptions
        {
            Scale = scale, Gap = gap, RowTitles = ["a", "b"], TitleHeight = titleHeight, Caption = "caption", CaptionHeight = captionHeight,
        });

        using var bitmap = Png.Decode(path);
        bitmap.Width.Should().Be(columns * side * scale + (columns + 1) * gap);
        bitmap.Height.Should().Be(captionHeight + 2 * (titleHeight + side * scale) + 3 * gap);
    }

    [Fact]
    public void CaptionTextIsDrawnWithTheEmbeddedFont()
    {
        const int captionHeight = 24;
        var path = folder.File("caption.png");
        var plain = folder.File("plain.png");
        ImageGrid.Save(path, new float[4 * 28 * 28], 28, 28, columns: 4, new ImageGridOptions { Caption = "Samples 0123456789", CaptionHeight = captionHeight });
        ImageGrid.Save(plain, new float[4 * 28 * 28], 28, 28, columns: 4, new ImageGridOptions { Caption = "", CaptionHeight = captionHeight });

        using var withText = Png.Decode(path);
        using var withoutText = Png.Decode(plain);
        var inked = 0;
        for (var y = 0; y < captionHeight; y++)
            for (var x = 0; x < withText.Width; x++)
                if (withText.GetPixel(x, y).Red < 128) inked++;
        // Glyphs cover a few hundred pixels of the band; an empty caption covers none.
        inked.Should().BeGreaterThan(100);
        Enumerable.Range(0, captionHeight).SelectMany(y => Enumerable.Range(0, withoutText.Width).Select(x => withoutText.GetPixel(x, y)))
            .Should().OnlyContain(pixel => pixel == SKColors.White);
    }

    [Fact]
    public void AWhitePixelLandsAsAScaledBlockInItsTile()
    {
        const int count = 7, height = 5, width = 6, columns = 3, scale = 3, gap = 2;
        const int image = 4, row = 1, column = 2;
        var pixels = new float[count * height * width];
        pixels[image * height * width + row * width + column] = 1f;
        var path = folder.File("pixel.png");

        ImageGrid.Save(path, pixels, height, width, columns, new ImageGridOptions { Scale = scale, Gap = gap });

        using var bitmap = Png.Decode(path);
        var tileLeft = gap + (image % columns) * (width * scale + gap);
        var tileTop = gap + (image / columns) * (height * scale + gap);
        for (var y = 0; y < height * scale; y++)
        {
            for (var x = 0; x < width * scale; x++)
            {
                var inBlock = y / scale == row && x / scale == column;
                var expected = (byte)(inBlock ? 255 : 0);
                var pixel = bitmap.GetPixel(tileLeft + x, tileTop + y);
                pixel.Should().Be(new SKColor(expected, expected, expected), $"tile pixel ({x}, {y}) is {(inBlock ? "" : "not ")}the white one");
            }
        }
        // The gap left of the tile is page, not tile.
        bitmap.GetPixel(tileLeft - 1, tileTop).Should().Be(SKColors.White);
    }

    [Fact]
    public void GrayValuesKeepTheirLevel()
    {
        const float value = 0.6f;
        var pixels = new float[2 * 2 * 2];
        pixels[4 + 3] = value; // image 1, pixel (1, 1)
        var path = folder.File("gray.png");

        ImageGrid.Save(path, pixels, 2, 2, columns: 2, new ImageGridOptions { Scale = 1, Gap = 1 });

        var expected = (byte)Math.Round(value * 255, MidpointRounding.AwayFromZero);
        using var bitmap = Png.Decode(path);
        // Image 1 is the second tile: x = gap + (2 + gap) + 1, y = gap + 1.
        bitmap.GetPixel(1 + 3 + 1, 1 + 1).Should().Be(new SKColor(expected, expected, expected));
    }

    [Fact]
    public void TensorInputMatchesArrayInput()
    {
        const int count = 4, side = 3;
        var values = Enumerable.Range(0, count * side * side).Select(i => (i * 37 % 101) / 100f).ToArray();
        var fromArray = folder.File("array.png");
        var fromTensor = folder.File("tensor.png");

        ImageGrid.Save(fromArray, values, side, side, columns: 2);
        using (var images = torch.tensor(values, [count, side * side]))
            ImageGrid.Save(fromTensor, images, side, side, columns: 2);

        using var a = Png.Decode(fromArray);
        using var b = Png.Decode(fromTensor);
        b.Width.Should().Be(a.Width);
        b.Height.Should().Be(a.Height);
        b.Pixels.Should().Equal(a.Pixels);
    }

    [Fact]
    public void ReconstructionsGoInTheRowUnderTheirInputs()
    {
        const int count = 6, side = 4, columns = 3, scale = 2, gap = 2, titleHeight = 16;
        const int which = 4; // second chunk, second column
        var inputs = new float[count * side * side];
        var reconstructions = new float[count * side * side];
        inputs[which * side * side] = 1f; // pixel (0, 0)
        reconstructions[which * side * side + side * side - 1] = 1f; // pixel (3, 3)
        var path = folder.File("pairs.png");

        ImageGrid.SaveReconstructions(path, inputs, reconstructions, side, side, columns, scale);

        using var bitmap = Png.Decode(path);
        var pairRow = which / columns;
        var left = gap + (which % columns) * (side * scale + gap);
        int TileTop(int gridRow) => gap + gridRow * (titleHeight + side * scale + gap) + titleHeight;
        bitmap.Height.Should().Be(4 * (titleHeight + side * scale) + 5 * gap);
        bitmap.GetPixel(left, TileTop(2 * pairRow)).Should().Be(SKColors.White, "the input's white pixel is at its top-left");
        bitmap.GetPixel(left + (side - 1) * scale, TileTop(2 * pairRow + 1) + (side - 1) * scale)
            .Should().Be(SKColors.White, "the reconstruction's white pixel is at the bottom-right of the tile below");
        bitmap.GetPixel(left, TileTop(2 * pairRow + 1)).Should().Be(SKColors.Black);
    }

    [Fact]
    public void WritingLeavesNoTemporaryFileAndReplacesAnOldPicture()
    {
        var path = folder.File("atomic.png");
        File.WriteAllText(path, "an old picture");

        ImageGrid.Save(path, new float[4], 2, 2, columns: 1);

        folder.Names().Should().Equal("atomic.png");
        using var bitmap = Png.Decode(path);
        bitmap.Width.Should().Be(2 * 2 + 2 * 2);
    }

    [Fact]
    public void RejectsPixelsThatAreNotWholeImages()
    {
        var act = () => ImageGrid.Save(folder.File("bad.png"), new float[10], 3, 3, columns: 2);

        act.Should().Throw<ArgumentException>().WithMessage("*3x3*");
        folder.Names().Should().BeEmpty();
    }
}
