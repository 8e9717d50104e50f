using Vae.Core.Recommendation;
using Vae.Core.Tests.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Recommendation;

public sealed class ImplicitFeedbackFolderTests
{
    private static readonly string[] ValidItems = ["101", "7", "55", "3"];

    /// <summary>A small valid folder: 3 training users, validation users 3-4, test users 5-6.</summary>
    private static void WriteValid(TempFolder folder)
    {
        File.WriteAllLines(folder.File("unique_sid.txt"), ValidItems);
        File.WriteAllText(folder.File("train.csv"), "uid,sid\n0,0\n0,1\n1,1\n2,3\n2,2\n0,1\n");
        File.WriteAllText(folder.File("validation_tr.csv"), "uid,sid\n3,0\n3,2\n4,3\n");
        File.WriteAllText(folder.File("validation_te.csv"), "uid,sid\n3,1\n4,0\n");
        File.WriteAllText(folder.File("test_tr.csv"), "uid,sid\n6,1\n5,2\n");
        File.WriteAllText(folder.File("test_te.csv"), "uid,sid\n6,3\n");
    }

    [Fact]
    public void ReadsTheLayoutKeepingOriginalIdsAndRenumberingHeldOutUsersFromTheirMinimum()
    {
        using var folder = new TempFolder();
        WriteValid(folder);

        var data = ImplicitFeedbackFolder.Read(folder.Path);

        data.ItemIds.Should().Equal(ValidItems);
        data.Train.UserCount.Should().Be(3);
        data.Train.ClickCount.Should().Be(5, "the repeated click (0, 1) counts once");
        data.Train.ItemsOf(2).ToArray().Should().Equal(2, 3);
        data.Validation.FirstUserId.Should().Be(3);
        data.Validation.UserCount.Should().Be(2);
        data.Validation.FoldIn.ItemsOf(0).ToArray().Should().Equal(0, 2);
        data.Validation.HeldOut.ItemsOf(1).ToArray().Should().Equal(0);
        data.Test.FirstUserId.Should().Be(5);
        data.Test.UserIdOf(1).Should().Be(6);
        data.Test.FoldIn.ItemsOf(1).ToArray().Should().Equal(1);
        data.Test.HeldOut.ItemsOf(0).ToArray().Should().BeEmpty();
        data.Test.HeldOut.ItemsOf(1).ToArray().Should().Equal(3);
    }

    [Fact]
    public void WrittenDataReadsBackTheSame()
    {
        using var folder = new TempFolder();
        WriteValid(folder);
        var data = ImplicitFeedbackFolder.Read(folder.Path);
        using var copy = new TempFolder();

        ImplicitFeedbackFolder.Write(data, copy.Path);
        var again = ImplicitFeedbackFolder.Read(copy.Path);

        again.ItemIds.Should().Equal(data.ItemIds);
        Same(again.Train, data.Train);
        Same(again.Validation.FoldIn, data.Validation.FoldIn);
        Same(again.Validation.HeldOut, data.Validation.HeldOut);
        Same(again.Test.FoldIn, data.Test.FoldIn);
        Same(again.Test.HeldOut, data.Test.HeldOut);
        again.Test.FirstUserId.Should().Be(5);
        File.ReadAllText(copy.File("test_te.csv")).Should().Be("uid,sid\n6,3\n");
        copy.Names().Should().NotContain(n => n.EndsWith(".tmp"));
    }

    [Fact]
    public void AHugeUserIdIsOneUserNotARowIndex()
    {
        using var folder = new TempFolder();
        WriteValid(folder);
        File.WriteAllText(folder.File("train.csv"), "uid,sid\n100000000,1\n7,0\n7,3\n");
        File.WriteAllText(folder.File("test_tr.csv"), "uid,sid\n100000000,1\n5,2\n");
        File.WriteAllText(folder.File("test_te.csv"), "uid,sid\n100000000,3\n");

        var data = ImplicitFeedbackFolder.Read(folder.Path);

        data.Train.UserCount.Should().Be(2, "users are the distinct ids, renumbered densely");
        data.TrainUserIds.Should().Equal(7, 100_000_000);
        data.Train.ItemsOf(0).ToArray().Should().Equal(0, 3);
        data.Train.ItemsOf(1).ToArray().Should().Equal(1);
        data.Test.UserCount.Should().Be(2);
        data.Test.UserIds.Should().Equal(5, 100_000_000);
        data.Test.UserIdOf(1).Should().Be(100_000_000);
        data.Test.HeldOut.ItemsOf(1).ToArray().Should().Equal(3);
        data.Train.ItemCount.Should().Be(ValidItems.Length, "items are the catalogue's columns, whatever their ids");

        using var copy = new TempFolder();
        ImplicitFeedbackFolder.Write(data, copy.Path);
        File.ReadAllText(copy.File("train.csv")).Should().Be("uid,sid\n7,0\n7,3\n100000000,1\n", "the original ids are written back");
        File.ReadAllText(copy.File("test_te.csv")).Should().Be("uid,sid\n100000000,3\n");
        var again = ImplicitFeedbackFolder.Read(copy.Path);
        again.TrainUserIds.Should().Equal(data.TrainUserIds);
        again.Test.UserIds.Should().Equal(data.Test.UserIds);
    }

    [Fact]
    public void ContiguousIdsGiveTheReferenceRows()
    {
        using var folder = new TempFolder();
        WriteValid(folder);

        var data = ImplicitFeedbackFolder.Read(folder.Path);

        data.TrainUserIds.Should().Equal(0, 1, 2);
        data.Validation.UserIds.Should().Equal(3, 4);
        data.Test.UserIds.Should().Equal(5, 6);
    }

    [Fact]
    public void UserIdsAreOnePerRowStrictlyAscending()
    {
        var clicks = ClickMatrix.FromPairs(2, 2, [0, 1], [0, 1]);

        new HeldOutUsers(clicks, clicks, new[] { 3, 900 }).UserIdOf(1).Should().Be(900);
        FluentActions.Invoking(() => new HeldOutUsers(clicks, clicks, new[] { 5 })).Should().Throw<ArgumentException>().WithMessage("1 user ids were given for 2 rows*");
        FluentActions.Invoking(() => new HeldOutUsers(clicks, clicks, new[] { 5, 5 })).Should().Throw<ArgumentException>().WithMessage("User id 5 (row 1) does not follow 5*");
        FluentActions.Invoking(() => new ImplicitFeedbackData(["a", "b"], clicks, new[] { -1, 2 }, new HeldOutUsers(ClickMatrix.Empty(0, 2), ClickMatrix.Empty(0, 2), 0),
            new HeldOutUsers(ClickMatrix.Empty(0, 2), ClickMatrix.Empty(0, 2), 0))).Should().Throw<ArgumentException>().WithMessage("User id -1 (row 0) is negative*");
    }

    internal static void Same(ClickMatrix actual, ClickMatrix expected)
    {
        actual.UserCount.Should().Be(expected.UserCount);
        actual.ItemCount.Should().Be(expected.ItemCount);
        actual.RowPointers.ToArray().Should().Equal(expected.RowPointers.ToArray());
        actual.ItemIndices.ToArray().Should().Equal(expected.ItemIndices.ToArray());
    }

    [Theory]
    [InlineData("train.csv", "uid,item\n0,0\n", "*train.csv, line 1: the header is 'uid,item' but must be 'uid,sid'.")]
    [InlineData("train.csv", "uid,sid\n0,0\n0,x\n", "*train.csv, line 3, column 2: sid 'x' is not an integer.")]
    [InlineData("train.csv", "uid,sid\n0,0\n1.5,1\n", "*train.csv, line 3, column 1: uid '1.5' is not an integer.")]
    [InlineData("train.csv", "uid,sid\n0,0\n\n-1,1\n", "*train.csv, line 4, column 1: uid -1 is negative; ids start at 0.")]
    [InlineData("train.csv", "uid,sid\n0,4\n", "*train.csv, line 2, column 2: sid 4 is outside 0-3; unique_sid.txt lists 4 items.")]
    [InlineData("train.csv", "uid,sid\n0,1,2\n", "*train.csv, line 2: '0,1,2' does not have exactly two comma-separated fields (uid,sid).")]
    [InlineData("train.csv", "", "*train.csv, line 1: the file is empty; it must start with the header 'uid,sid'.")]
    [InlineData("train.csv", "uid,sid\n200000000,1\n", "*train.csv, line 2, column 1: uid 200000000 is above 100000000*")]
    [InlineData("test_te.csv", "uid,sid\n6,3\n7,0\n", "*test_te.csv, line 3, column 1: user 7 has held-out clicks but no fold-in clicks in test_tr.csv*")]
    [InlineData("validation_te.csv", "uid,sid\n3,1\n4,3\n", "*validation_te.csv, line 3, column 2: user 4's item 3 is also a fold-in click (validation_tr.csv, line 4); the two parts must be disjoint.")]
    [InlineData("unique_sid.txt", "101\n7\n\n3\n", "*unique_sid.txt, line 3: the line is empty*")]
    [InlineData("unique_sid.txt", "101\n7\n101\n3\n", "*unique_sid.txt, line 3: item id '101' was already listed on line 1.")]
    public void BadFilesAreReportedWithFileLineAndColumn(string file, string content, string message)
    {
        using var folder = new TempFolder();
        WriteValid(folder);
        File.WriteAllText(folder.File(file), content);

        var act = () => ImplicitFeedbackFolder.Read(folder.Path);

        act.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void AMissingFileOrFolderIsNamed()
    {
        using var folder = new TempFolder();
        WriteValid(folder);
        File.Delete(folder.File("validation_te.csv"));

        var act = () => ImplicitFeedbackFolder.Read(folder.Path);

        act.Should().Throw<FileNotFoundException>().WithMessage("*has no validation_te.csv*");
        act = () => ImplicitFeedbackFolder.Read(folder.File("absent"));
        act.Should().Throw<DirectoryNotFoundException>().WithMessage("*absent' does not exist.");
    }

    [Fact]
    public void AFailedWriteKeepsTheFilesAlreadyThere()
    {
        using var folder = new TempFolder();
        WriteValid(folder);
        var before = File.ReadAllText(folder.File("unique_sid.txt"));
        var bad = new ImplicitFeedbackData(["a", "b\nc"], ClickMatrix.Empty(0, 2),
            new HeldOutUsers(ClickMatrix.Empty(0, 2), ClickMatrix.Empty(0, 2), 0), new HeldOutUsers(ClickMatrix.Empty(0, 2), ClickMatrix.Empty(0, 2), 0));

        var act = () => ImplicitFeedbackFolder.Write(bad, folder.Path);

        act.Should().Throw<ArgumentException>().WithMessage("Item id 1 *line break*");
        File.ReadAllText(folder.File("unique_sid.txt")).Should().Be(before);
    }

    [Fact]
    public void AWriteThatFailsPartWayReplacesNoFile()
    {
        using var folder = new TempFolder();
        WriteValid(folder);
        var data = ImplicitFeedbackFolder.Read(folder.Path);
        using var target = new TempFolder();
        ImplicitFeedbackFolder.Write(data, target.Path);
        var before = target.Names().ToDictionary(n => n, n => File.ReadAllText(target.File(n)));
        var other = new ImplicitFeedbackData(["x", "y", "z", "w"], ClickMatrix.FromPairs(1, 4, [0], [3]), data.Validation, data.Test);
        // A folder where the last temporary file must go makes its creation fail after the others were written.
        Directory.CreateDirectory(target.File("test_te.csv.tmp"));

        var act = () => ImplicitFeedbackFolder.Write(other, target.Path);

        act.Should().Throw<Exception>();
        target.Names().Should().Equal(before.Keys.Order(StringComparer.Ordinal), "no temporary file is left behind");
        foreach (var (name, content) in before)
            File.ReadAllText(target.File(name)).Should().Be(content, $"{name} was written before the failure but must not replace the old one");
    }
}
