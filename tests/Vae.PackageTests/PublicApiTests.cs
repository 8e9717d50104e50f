using System.Reflection;
using PublicApiGenerator;

namespace Vae.PackageTests;

/// <summary>
/// The packed Vae.Core's public API is the one committed in src/Vae.Core/PublicAPI.txt, so every change to it shows
/// in a review as a change to that file. After an intended change (or a merge of branches that both added API),
/// rewrite the file with
/// <c>VAE_UPDATE_PUBLIC_API=1 dotnet test -c Release tests/Vae.PackageTests --filter PublicApi</c> and commit it.
/// </summary>
public sealed class PublicApiTests
{
    private const string UpdateVariable = "VAE_UPDATE_PUBLIC_API";

    private static string ApprovedFile => typeof(PublicApiTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "VaeCorePublicApiFile").Value!;

    [Fact]
    public void ThePublicApiIsTheCommittedOne()
    {
        // Assembly attributes are left out: they carry the repository's URL and commit, which differ between clones.
        var actual = Normalize(typeof(VariationalAutoencoder).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }));
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(ApprovedFile, actual);
            return;
        }

        File.Exists(ApprovedFile).Should().BeTrue($"the approved API lives in {ApprovedFile}; create it with {UpdateVariable}=1");
        var approved = Normalize(File.ReadAllText(ApprovedFile));
        if (actual == approved) return;

        var changes = Diff(approved.Split('\n'), actual.Split('\n'));
        Assert.Fail($"""
            The public API of Vae.Core differs from {ApprovedFile}:
            {string.Join(Environment.NewLine, changes)}
            If the change is intended, rewrite the file and commit it:
              {UpdateVariable}=1 dotnet test -c Release tests/Vae.PackageTests --filter PublicApi
            """);
    }

    // A line diff (longest common subsequence); each changed member line names the type it belongs to.
    private static List<string> Diff(string[] before, string[] after)
    {
        var common = new int[before.Length + 1, after.Length + 1];
        for (var i = before.Length - 1; i >= 0; i--)
            for (var j = after.Length - 1; j >= 0; j--)
                common[i, j] = before[i] == after[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);

        var changes = new List<string>();
        string beforeType = "", afterType = "";
        void Note(char sign, string line, string type) =>
            changes.Add(line.StartsWith("        ", StringComparison.Ordinal) && type.Length > 0 ? $"{sign} {line.Trim()}    (in {type})" : $"{sign} {line.Trim()}");
        int b = 0, a = 0;
        while (b < before.Length || a < after.Length)
        {
            if (b < before.Length && a < after.Length && before[b] == after[a])
            {
                beforeType = TypeOf(before[b], beforeType);
                afterType = TypeOf(after[a], afterType);
                b++;
                a++;
            }
            else if (b < before.Length && (a == after.Length || common[b + 1, a] >= common[b, a + 1]))
            {
                beforeType = TypeOf(before[b], beforeType);
                Note('-', before[b++], beforeType);
            }
            else
            {
                afterType = TypeOf(after[a], afterType);
                Note('+', after[a++], afterType);
            }
        }
        return changes;
    }

    // Types are declared at an indentation of four spaces inside their namespace.
    private static string TypeOf(string line, string current) =>
        line.StartsWith("    public ", StringComparison.Ordinal) ? line.Trim() : current;

    private static string Normalize(string api) => api.Replace("\r\n", "\n").TrimEnd('\n') + "\n";
}
