using System.Reflection;

namespace Vae.Core.Tests.Modules;

/// <summary>
/// <see cref="VaeOptions"/> writes its equality by hand (the lists compare element by element), so a new property
/// left out of <c>Equals</c> or <c>GetHashCode</c> would make two different architectures equal: every property is
/// changed in turn here and must change both.
/// </summary>
public sealed class VaeOptionsEqualityTests
{
    public static TheoryData<string> Properties() =>
        [.. typeof(VaeOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Properties))]
    public void ChangingAPropertyChangesEqualityAndHash(string name)
    {
        var original = new VaeOptions();
        var changed = With(original, typeof(VaeOptions).GetProperty(name)!);

        changed.Equals(original).Should().BeFalse($"{name} must take part in Equals");
        changed.GetHashCode().Should().NotBe(original.GetHashCode(), $"{name} must take part in GetHashCode");
        With(original, typeof(VaeOptions).GetProperty(name)!, same: true).Should().Be(original, "a copy with equal values is equal");
    }

    [Fact]
    public void EqualListsInDifferentInstancesAreEqual()
    {
        new VaeOptions { HiddenSizes = [400, 200] }.Should().Be(new VaeOptions { HiddenSizes = new List<int> { 400, 200 } });
        new VaeOptions { HiddenSizes = [400, 200] }.GetHashCode().Should().Be(new VaeOptions { HiddenSizes = new List<int> { 400, 200 } }.GetHashCode());
    }

    // A copy (the record's clone) with the property set to another valid value, or to a copy of its own.
    private static VaeOptions With(VaeOptions options, PropertyInfo property, bool same = false)
    {
        var copy = (VaeOptions)typeof(VaeOptions).GetMethod("<Clone>$")!.Invoke(options, null)!;
        var value = property.GetValue(options);
        object? other = value switch
        {
            IReadOnlyList<int> list => same ? list.ToList() : list.Append(7).ToList(),
            _ when same => value,
            int i => i + 1,
            double d => d + 0.25,
            bool b => !b,
            Enum e => Enum.GetValues(e.GetType()).Cast<object>().First(v => !v.Equals(e)),
            _ => throw new NotSupportedException($"No other value for {property.Name} of type {property.PropertyType}: teach this test one."),
        };
        property.SetValue(copy, other);
        return copy;
    }
}
