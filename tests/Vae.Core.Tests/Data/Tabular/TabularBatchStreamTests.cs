using System.Globalization;
using Vae.Core.Data;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data.Tabular;

/// <summary>Batches read from disk every epoch through a shuffle buffer.</summary>
public sealed class TabularBatchStreamTests : IDisposable
{
    private readonly TempFolder directory = new();

    public void Dispose() => directory.Dispose();

    private string Numbered(int rows) =>
        TabularFiles.Write(directory, "rows.csv", "i,j\n" + string.Concat(Enumerable.Range(0, rows).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},{i % 7}\n"))));

    private static List<float[]> Rows(IEnumerable<Tensor> batches, List<long>? sizes = null)
    {
        var rows = new List<float[]>();
        foreach (var batch in batches)
        {
            using (batch)
            {
                sizes?.Add(batch.shape[0]);
                var width = (int)batch.shape[1];
                var values = batch.data<float>().ToArray();
                for (var r = 0; r < batch.shape[0]; r++) rows.Add(values.AsSpan(r * width, width).ToArray());
            }
        }
        return rows;
    }

    [Fact]
    public void AnEpochHoldsEveryRowOnceInAnOrderThatMovesRowsByAboutTheBufferSize()
    {
        var path = Numbered(1000);
        var preprocessor = TabularPreprocessor.Fit(path);
        using var inMemory = TabularDataset.Load(path, preprocessor);
        var stream = new TabularBatchStream(path, preprocessor, batchSize: 64, shuffleBufferRows: 100, seed: 3);

        var sizes = new List<long>();
        var streamed = Rows(stream.Epoch(1), sizes);

        sizes.Should().Equal(Enumerable.Repeat(64L, 15).Append(40));
        var mean = preprocessor.Columns[0].Mean;
        var deviation = preprocessor.Columns[0].StandardDeviation;
        var order = streamed.Select(r => (int)Math.Round(r[0] * deviation + mean)).ToArray();
        order.Order().Should().Equal(Enumerable.Range(0, 1000), "every row comes once");
        order.Should().NotEqual(Enumerable.Range(0, 1000));
        order.Take(100).Max().Should().BeLessThan(300, "the shuffle is local: the first batches come from the start of the file");
        var expected = Rows([inMemory.Features.clone()]).Select(r => string.Join(',', r)).Order();
        streamed.Select(r => string.Join(',', r)).Order().Should().Equal(expected, "the streamed rows are encoded exactly as in memory");
    }

    [Fact]
    public void TheSameSeedAndEpochGiveTheSameBatchesAndAnotherEpochAnotherOrder()
    {
        var path = Numbered(300);
        var preprocessor = TabularPreprocessor.Fit(path);
        var stream = new TabularBatchStream(path, preprocessor, batchSize: 32, shuffleBufferRows: 50, seed: 9);

        var first = Rows(stream.Epoch(1)).Select(r => r[0]).ToArray();

        Rows(stream.Epoch(1)).Select(r => r[0]).Should().Equal(first);
        Rows(stream.Epoch(2)).Select(r => r[0]).Should().NotEqual(first);
    }

    [Fact]
    public void TheRowFilterKeepsOnlyTheChosenRows()
    {
        var path = TabularFiles.Write(directory, "t.csv", "a,label\n1,n\n2,x\n3,n\n4,n\n");
        TabularRowFilter normal = (_, label) => label == "n";
        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { LabelColumn = "label", RowFilter = normal });

        var rows = Rows(new TabularBatchStream(path, preprocessor, batchSize: 10, rowFilter: normal).Epoch(1));

        rows.Should().HaveCount(3);
    }

    [Fact]
    public void ABadRowIsReportedWhenTheEpochReachesIt()
    {
        var good = TabularFiles.Write(directory, "good.csv", "a,b\n1,2\n3,4\n");
        var bad = TabularFiles.Write(directory, "bad.csv", "a,b\n1,2\n3,x\n");
        var preprocessor = TabularPreprocessor.Fit(good);

        var read = () => Rows(new TabularBatchStream(bad, preprocessor).Epoch(1));

        read.Should().Throw<TabularDataException>().WithMessage($"{bad}, line 3, column 'b': 'x' is not a number*");
    }

    [Fact]
    public void RowsLoadedInManyBlocksKeepTheirOrder()
    {
        var path = Numbered(250);
        var preprocessor = TabularPreprocessor.Fit(path);
        using var whole = TabularDataset.Load(path, preprocessor);

        using var blocks = TabularDataset.Load(path, preprocessor, null, blockRows: 16);

        blocks.Features.shape.Should().Equal(250, 2);
        blocks.Features.data<float>().ToArray().Should().Equal(whole.Features.data<float>().ToArray());
        blocks.Lines.Should().Equal(Enumerable.Range(2, 250).Select(l => (long)l));
    }
}
