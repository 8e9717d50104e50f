using Vae.Core.Recommendation;
using Vae.Core.Tests.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Recommendation;

public sealed class MovieLensConverterTests
{
    /// <summary>
    /// A hand-made ratings file: user 9 has only 4 ratings above 3.5 and user 6 none, so both are dropped; 3.5 itself
    /// is not a click; movie 110 is rated only by user 2, who becomes a validation user, so it is not an item and
    /// user 2 is left with 4 clicks, too few to hold any out.
    /// </summary>
    private const string Ratings = """
userId,movieId,rating,timestamp
5,10,4.0,1000
3,10,4.0,1001
5,20,5.0,1002
8,20,4.0,1003
1,10,5.0,1004
5,30,4.5,1005
9,10,4.0,1006
3,20,4.0,1007
2,110,4.0,1008
7,10,4.0,1009
4,30,4.0,1010
5,40,4.0,1011
5,50,3.5,1012
3,30,4.0,1013
8,30,4.0,1014
1,20,5.0,1015
9,20,4.0,1016
9,30,2.0,1017
2,10,4.0,1018
7,20,4.0,1019
4,40,4.0,1020
5,60,4.0,1021
3,70,4.0,1022
8,40,4.0,1023
1,30,5.0,1024
9,40,1.0,1025
2,20,4.0,1026
7,30,4.0,1027
4,50,4.0,1028
3,80,4.0,1029
8,50,4.0,1030
1,40,5.0,1031
9,50,4.0,1032
2,30,4.0,1033
7,40,4.0,1034
4,60,4.0,1035
3,90,4.0,1036
8,60,4.0,1037
1,50,5.0,1038
9,60,4.0,1039
2,40,4.0,1040
7,50,4.0,1041
4,70,4.0,1042
1,60,5.0,1043
7,60,4.0,1044
1,70,5.0,1045
7,70,4.0,1046
1,80,5.0,1047
1,90,5.0,1048
1,100,5.0,1049
6,10,3.0,1050
6,20,2.5,1051
""";

    private static readonly ReferenceSplitOptions TwoHeldOut = new() { HeldOutUsers = 2 };

    /// <summary>
    /// The expected split was worked out with NumPy 2.2 following the reference notebook step by step:
    /// np.random.seed(98765); permutation(7) orders the eligible users [1, 2, 3, 4, 5, 7, 8] as [3, 1, 8, 2, 5, 4, 7],
    /// so users 3, 1, 8 train (uids 0-2), 2 and 5 validate (uids 3-4), 4 and 7 test (uids 5-6); items are numbered by
    /// first appearance in the training users' ratings; after re-seeding, user 5 (5 clicks) loses choice(5, 1) = [4]
    /// (movie 60) and in the test users 4 and 7 lose movie 70 and movie 60.
    /// </summary>
    [Fact]
    public void AHandMadeRatingsFileIsSplitAsTheReferencePreprocessingSplitsIt()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("ratings.csv"), Ratings);

        var data = MovieLensConverter.Convert(folder.File("ratings.csv"), folder.File("pro_sg"), TwoHeldOut);

        data.ItemIds.Should().Equal("10", "20", "30", "70", "40", "80", "50", "90", "60", "100");
        data.Train.UserCount.Should().Be(3);
        data.Train.ItemsOf(0).ToArray().Should().Equal(0, 1, 2, 3, 5, 7);
        data.Train.ItemsOf(1).ToArray().Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        data.Train.ItemsOf(2).ToArray().Should().Equal(1, 2, 4, 6, 8);
        data.Validation.FirstUserId.Should().Be(3);
        data.Validation.FoldIn.ItemsOf(0).ToArray().Should().Equal(0, 1, 2, 4);
        data.Validation.HeldOut.ItemsOf(0).ToArray().Should().BeEmpty();
        data.Validation.FoldIn.ItemsOf(1).ToArray().Should().Equal(0, 1, 2, 4);
        data.Validation.HeldOut.ItemsOf(1).ToArray().Should().Equal(8);
        data.Test.FirstUserId.Should().Be(5);
        data.Test.FoldIn.ItemsOf(0).ToArray().Should().Equal(2, 4, 6, 8);
        data.Test.HeldOut.ItemsOf(0).ToArray().Should().Equal(3);
        data.Test.FoldIn.ItemsOf(1).ToArray().Should().Equal(0, 1, 2, 3, 4, 6);
        data.Test.HeldOut.ItemsOf(1).ToArray().Should().Equal(8);

        File.ReadAllText(folder.File("pro_sg/unique_sid.txt")).Should().Be("10\n20\n30\n70\n40\n80\n50\n90\n60\n100\n");
        File.ReadAllText(folder.File("pro_sg/test_te.csv")).Should().Be("uid,sid\n5,3\n6,8\n");
        var read = ImplicitFeedbackFolder.Read(folder.File("pro_sg"));
        ImplicitFeedbackFolderTests.Same(read.Train, data.Train);
        ImplicitFeedbackFolderTests.Same(read.Validation.FoldIn, data.Validation.FoldIn);
        ImplicitFeedbackFolderTests.Same(read.Test.HeldOut, data.Test.HeldOut);
    }

    [Fact]
    public void AnItemFilterDropsRareItemsBeforeTheUserFilter()
    {
        var users = new long[] { 1, 1, 1, 2, 2, 3, 3, 3 };
        var items = new long[] { 10, 20, 30, 10, 20, 10, 20, 40 };

        var data = ReferenceSplit.Split(users, items, new ReferenceSplitOptions { HeldOutUsers = 1, MinUserClicks = 2, MinItemUsers = 2 });

        data.ItemIds.Should().BeEquivalentTo(["10", "20"], "movies 30 and 40 have one user each");
        (data.Train.ClickCount + data.Validation.FoldIn.ClickCount + data.Validation.HeldOut.ClickCount
            + data.Test.FoldIn.ClickCount + data.Test.HeldOut.ClickCount).Should().BeLessThanOrEqualTo(6);
    }

    [Theory]
    [InlineData("userId,movieId,rating\n1,2,4.0\n", "*ratings.csv, line 1: the header is 'userId,movieId,rating' but must be 'userId,movieId,rating,timestamp'.")]
    [InlineData("userId,movieId,rating,timestamp\n1,2,4.0,5\n1,2,four,5\n", "*ratings.csv, line 3, column 3: rating 'four' is not a number.")]
    [InlineData("userId,movieId,rating,timestamp\n1,x,4.0,5\n", "*ratings.csv, line 2, column 2: movieId 'x' is not an integer.")]
    [InlineData("userId,movieId,rating,timestamp\n1,2,4.0\n", "*ratings.csv, line 2: '1,2,4.0' does not have the four fields*")]
    [InlineData("", "*ratings.csv, line 1: the file is empty*")]
    public void BadRatingsAreReportedWithLineAndColumn(string content, string message)
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("ratings.csv"), content);

        var act = () => MovieLensConverter.Convert(folder.File("ratings.csv"), folder.File("out"), TwoHeldOut);

        act.Should().Throw<InvalidDataException>().WithMessage(message);
        Directory.Exists(folder.File("out")).Should().BeFalse("nothing is written unless the whole file converts");
    }

    [Fact]
    public void TooFewUsersForTheHeldOutSetsOrAMissingFileAreExplained()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("ratings.csv"), Ratings);

        var act = () => MovieLensConverter.Convert(folder.File("ratings.csv"), folder.File("out"));
        act.Should().Throw<ArgumentException>().WithMessage("7 users have at least 5 clicks, but 2 x 10000 held-out users and at least one training user are needed*");
        act = () => MovieLensConverter.Convert(folder.File("absent.csv"), folder.File("out"));
        act.Should().Throw<FileNotFoundException>().WithMessage("*absent.csv' does not exist.");
    }
}
