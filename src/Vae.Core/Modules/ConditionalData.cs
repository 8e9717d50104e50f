using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Data rows for a conditional <see cref="VariationalAutoencoder"/>: each row is the features followed by its condition,
/// <c>[N, InputSize + width]</c>, so that trainers, shuffling, evaluation and importance sampling keep every row with its
/// condition without knowing there is one.
/// </summary>
/// <example>
/// <code>
/// var options = new VaeOptions { ConditionClasses = 10 };
/// var rows = ConditionalData.Join(images, labels, classes: 10);   // [N, 784 + 10]
/// trainer.Fit(rows);
/// var sevens = model.Sample(100, label: 7);
/// </code>
/// </example>
public static class ConditionalData
{
    /// <summary>One-hot vectors of integer labels.</summary>
    /// <param name="labels">Labels <c>[N]</c> of an integer type, each from 0 to <paramref name="classes"/> - 1.</param>
    /// <param name="classes">The number of classes, at least 1.</param>
    /// <returns>float32 <c>[N, classes]</c> with a single 1 per row.</returns>
    /// <exception cref="ArgumentException">The labels are not one-dimensional integers, or one is out of range (the message names the first).</exception>
    public static Tensor OneHot(Tensor labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (labels.dim() != 1 || labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"labels must be one-dimensional integers, but have shape {Guard.Shape(labels)} and type {labels.dtype}.", nameof(labels));
        using var scope = NewDisposeScope();
        var values = labels.to_type(ScalarType.Int64);
        // Scalars held by the usings until the comparisons have run (see FixedScalars).
        using var zero = 0L.ToScalar();
        using var limit = ((long)classes).ToScalar();
        var outside = values.lt(zero).logical_or(values.ge(limit)).nonzero();
        if (outside.shape[0] > 0)
        {
            var index = outside[0, 0].item<long>();
            throw new ArgumentException(
                $"labels[{index}] is {values[index].item<long>()}, outside 0-{classes - 1} for {classes} classes.", nameof(labels));
        }
        return nn.functional.one_hot(values, classes).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Rows of features followed by their conditions.</summary>
    /// <param name="features">Features <c>[N, InputSize]</c>.</param>
    /// <param name="condition">Conditions <c>[N, width]</c>, converted to the features' type.</param>
    /// <returns><c>[N, InputSize + width]</c>.</returns>
    /// <exception cref="ArgumentException">The tensors are not two-dimensional or differ in their number of rows.</exception>
    public static Tensor Join(Tensor features, Tensor condition)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(condition);
        if (features.dim() != 2 || condition.dim() != 2 || features.shape[0] != condition.shape[0])
            throw new ArgumentException(
                $"features and condition must be [N, ...] matrices with the same N, but have shapes {Guard.Shape(features)} and {Guard.Shape(condition)}.", nameof(condition));
        using var scope = NewDisposeScope();
        return cat([features, condition.to(features.dtype, features.device)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Rows of features followed by the one-hot vectors of their labels.</summary>
    /// <param name="features">Features <c>[N, InputSize]</c>.</param>
    /// <param name="labels">Integer labels <c>[N]</c>, from 0 to <paramref name="classes"/> - 1.</param>
    /// <param name="classes">The number of classes (<see cref="VaeOptions.ConditionClasses"/>).</param>
    /// <returns><c>[N, InputSize + classes]</c>.</returns>
    /// <exception cref="ArgumentException">A shape is wrong or a label is out of range.</exception>
    public static Tensor Join(Tensor features, Tensor labels, int classes)
    {
        using var scope = NewDisposeScope();
        return Join(features, OneHot(labels, classes)).MoveToOuterDisposeScope();
    }
}
