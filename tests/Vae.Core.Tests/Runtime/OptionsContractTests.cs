using System.Reflection;
using System.Xml.Linq;
using Vae.Core.Data;
using Vae.Core.Recommendation;

namespace Vae.Core.Tests.Runtime;

/// <summary>
/// Every options record of the library keeps three promises for every property, checked by reflection so that a
/// property added later is covered without anyone remembering to: equality, the hash and <c>ToString</c> see it (a
/// change of that property alone makes the options unequal, hashes them differently and prints differently, while an
/// equal copy of a list compares equal); its default is documented in a <c>&lt;value&gt;</c> element; and the type
/// checks itself with one public <c>Validate()</c>.
/// </summary>
public sealed class OptionsContractTests
{
    private static readonly Type[] OptionsTypes = typeof(VaeOptions).Assembly.GetExportedTypes()
        .Where(t => t.IsClass && !t.IsAbstract && t.GetMethod("<Clone>$") is not null
            && (t.Name.EndsWith("Options", StringComparison.Ordinal) || t.IsSubclassOf(typeof(LearningRateSchedule))))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToArray();

    public static TheoryData<string> OptionsTypeNames() => new(OptionsTypes.Select(t => t.FullName!));

    [Fact]
    public void FindsTheOptionsRecords()
    {
        OptionsTypes.Select(t => t.Name).Should().Contain(
            ["VaeOptions", "VaeTrainerOptions", "TimeSeriesDetectorOptions", "MultVaeOptions", "MultVaeTrainerOptions",
             "TabularOptions", "RankingOptions", "SyntheticClickOptions", "ReferenceSplitOptions", "PyTorchImportOptions",
             "CosineAnnealingSchedule"]);
    }

    [Theory]
    [MemberData(nameof(OptionsTypeNames))]
    public void EqualityHashAndToStringCoverEveryProperty(string typeName)
    {
        var type = OptionsTypes.Single(t => t.FullName == typeName);
        var baseline = Defaults(type)!;
        foreach (var property in SettableProperties(type))
        {
            var variant = With(baseline, property, Different(property.PropertyType, property.GetValue(baseline)));
            variant.Equals(baseline).Should().BeFalse($"{type.Name}.{property.Name} changed must make the options unequal");
            variant.GetHashCode().Should().NotBe(baseline.GetHashCode(), $"{type.Name}.{property.Name} must be in the hash");
            variant.ToString().Should().NotBe(baseline.ToString(), $"{type.Name}.{property.Name} must be in ToString");

            if (property.GetValue(baseline) is System.Collections.IEnumerable list and not string)
            {
                var copy = With(baseline, property, CopyOf(property.PropertyType, list));
                copy.Equals(baseline).Should().BeTrue($"{type.Name}.{property.Name}: an equal copy of the list must compare equal");
                copy.GetHashCode().Should().Be(baseline.GetHashCode(), $"{type.Name}.{property.Name}: an equal copy of the list must hash the same");
                copy.ToString().Should().Be(baseline.ToString());
            }
        }
    }

    [Theory]
    [MemberData(nameof(OptionsTypeNames))]
    public void EveryPropertyDocumentsItsDefault(string typeName)
    {
        var type = OptionsTypes.Single(t => t.FullName == typeName);
        var documentation = XDocument.Load(Path.ChangeExtension(type.Assembly.Location, ".xml"));
        var members = documentation.Descendants("member").ToDictionary(m => (string)m.Attribute("name")!);
        var undocumented = SettableProperties(type)
            .Where(p => !members.TryGetValue($"P:{p.DeclaringType!.FullName}.{p.Name}", out var member) || member.Element("value") is null)
            .Select(p => p.Name)
            .ToArray();
        undocumented.Should().BeEmpty($"every property of {type.Name} documents its default in a <value> element");
    }

    [Theory]
    [MemberData(nameof(OptionsTypeNames))]
    public void ChecksItselfWithOnePublicValidate(string typeName)
    {
        var type = OptionsTypes.Single(t => t.FullName == typeName);
        var validate = type.GetMethod("Validate", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        validate.Should().NotBeNull($"{type.Name} validates itself with a public Validate()");
        validate!.Invoke(Defaults(type), null); // the defaults are valid
        type.GetMethods(BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.Name is "Check" or "CheckOptions" or "ValidateAll")
            .Should().BeEmpty("one idiom: Validate()");
    }

    [Fact]
    public void ValidateNamesTheSettingOutOfRange()
    {
        var invalid = new Func<Action>[]
        {
            () => new RankingOptions { BatchSize = 0 }.Validate,
            () => new TabularOptions { MaxCategories = 0 }.Validate,
            () => new SyntheticClickOptions { NoiseFraction = 1 }.Validate,
            () => new ReferenceSplitOptions { HeldOutFraction = 0 }.Validate,
            () => new PyTorchImportOptions { GaussianVariance = -1 }.Validate,
            () => new MultVaeOptions { LatentSize = 0 }.Validate,
        };
        var names = new[] { "BatchSize", "MaxCategories", "NoiseFraction", "HeldOutFraction", "GaussianVariance", "LatentSize" };
        for (var i = 0; i < invalid.Length; i++)
            invalid[i]().Should().Throw<ArgumentException>().Which.Message.Should().Contain(names[i]);
    }

    // The options with every default: the parameterless constructor, or one whose parameters are all optional.
    private static object Defaults(Type type)
    {
        var constructor = type.GetConstructors().Single(c => c.GetParameters().All(p => p.IsOptional) && c.GetParameters().All(p => p.ParameterType != type));
        return constructor.Invoke(constructor.GetParameters().Select(_ => Type.Missing).ToArray());
    }

    private static IEnumerable<PropertyInfo> SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.Name != "EqualityContract");

    private static object With(object options, PropertyInfo property, object? value)
    {
        var copy = options.GetType().GetMethod("<Clone>$")!.Invoke(options, null)!;
        property.SetValue(copy, value);
        return copy;
    }

    private static object CopyOf(Type listType, System.Collections.IEnumerable items)
    {
        var element = listType.GetGenericArguments()[0];
        var copy = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        foreach (var item in items) copy.Add(item);
        return copy;
    }

    // A value of the property's type other than the current one, and valid enough to be set.
    private static object? Different(Type type, object? current)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
            return current is null ? Different(inner, Activator.CreateInstance(inner)) ?? Activator.CreateInstance(inner) : null;
        if (type == typeof(int)) return (int)current! + 3;
        if (type == typeof(long)) return (long)current! + 3;
        if (type == typeof(uint)) return (uint)current! + 3;
        if (type == typeof(double)) return (double)current! + 0.25;
        if (type == typeof(bool)) return !(bool)current!;
        if (type == typeof(string)) return (string?)current + "x";
        if (type == typeof(TimeSpan)) return (TimeSpan)current! + TimeSpan.FromSeconds(1);
        if (type.IsEnum) return Enum.GetValues(type).Cast<object>().First(v => !v.Equals(current));
        if (type == typeof(IReadOnlyList<int>)) return new List<int> { 7, 9 };
        if (type == typeof(IReadOnlyList<string>)) return new List<string> { "x" };
        if (type == typeof(IReadOnlyList<ITrainingCallback>)) return new List<ITrainingCallback> { new Callback() };
        if (type == typeof(LearningRateSchedule)) return new CosineAnnealingSchedule();
        if (type == typeof(VaeOptions)) return new VaeOptions { LatentSize = 3 };
        if (type == typeof(TabularRowFilter)) return new TabularRowFilter((_, _) => true);
        throw new InvalidOperationException($"The test has no second value of {type}: add one.");
    }

    private sealed class Callback : ITrainingCallback;
}
