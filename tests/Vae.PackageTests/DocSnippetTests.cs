using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Vae.PackageTests;

/// <summary>
/// Every <c>```csharp</c> block of README.md, the package README and docs/*.md compiles, exactly as written, as the
/// Program.cs of a new console app that references the package (implicit usings and nullable on, as
/// <c>dotnet new console</c> makes it). A snippet that uses a name it does not declare fails here, not in a reader's app.
/// </summary>
public sealed partial class DocSnippetTests
{
    private static string RepositoryRoot => typeof(DocSnippetTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "VaeRepositoryRoot").Value!;

    // What the SDK's ImplicitUsings adds to a console app.
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var (file, line, _) in AllSnippets()) data.Add($"{file}:{line}");
        return data;
    }

    [Fact]
    public void TheDocumentsHaveSnippets() =>
        AllSnippets().Select(snippet => snippet.File).Distinct().Should().Contain(["README.md", "src/Vae.Core/README.md"]);

    [Theory]
    [MemberData(nameof(Snippets))]
    public void CompilesAsWritten(string place)
    {
        var snippet = AllSnippets().Single(s => $"{s.File}:{s.Line}" == place);
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [
                CSharpSyntaxTree.ParseText(snippet.Code, Parse, path: place),
                CSharpSyntaxTree.ParseText(ImplicitUsings, Parse, path: "GlobalUsings.g.cs"),
            ],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        errors.Should().BeEmpty($"the snippet at {place} must compile as written:\n{snippet.Code}");
    }

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    // The framework and everything beside the tests: Vae.Core from the package, TorchSharp, Microsoft.Extensions.*.
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(IsManaged)
            .DistinctBy(Path.GetFileName)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    private static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    private static IEnumerable<(string File, int Line, string Code)> AllSnippets()
    {
        var root = RepositoryRoot;
        var docs = Directory.Exists(Path.Combine(root, "docs")) ? Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories) : [];
        foreach (var path in new[] { Path.Combine(root, "README.md"), Path.Combine(root, "src", "Vae.Core", "README.md") }.Concat(docs.Order()))
        {
            var text = File.ReadAllText(path).ReplaceLineEndings("\n");
            foreach (Match match in CSharpBlock().Matches(text))
            {
                var line = text[..match.Index].Count(c => c == '\n') + 1;
                yield return (Path.GetRelativePath(root, path).Replace('\\', '/'), line, match.Groups[1].Value);
            }
        }
    }

    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
