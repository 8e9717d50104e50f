using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core.Recommendation;

namespace Vae.Recommendation;

/// <summary>Converts a MovieLens ratings file into the reference layout.</summary>
internal sealed class ConvertCommand : Command<ConvertSettings>
{
    public override int Execute(CommandContext context, ConvertSettings settings, CancellationToken cancellationToken)
    {
        var data = MovieLensConverter.Convert(settings.MovieLens!, settings.Output!,
            new ReferenceSplitOptions { HeldOutUsers = settings.HeldOutUsers }, settings.Threshold);
        AnsiConsole.MarkupLine(
            $"{data.ItemCount:N0} items, {data.Train.UserCount:N0} training users ({data.Train.ClickCount:N0} clicks), " +
            $"{data.Validation.UserCount:N0} validation and {data.Test.UserCount:N0} test users written to [blue]{Markup.Escape(Path.GetFullPath(settings.Output!))}[/]");
        return 0;
    }
}
