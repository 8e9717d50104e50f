namespace Vae.Core.Data;

/// <summary>How a column of a table becomes features of the model.</summary>
public enum TabularColumnKind
{
    /// <summary>A number, standardised with the training rows' mean and standard deviation: one feature.</summary>
    Numeric,

    /// <summary>Text from a fixed vocabulary learned from the training rows, one-hot encoded: one feature per category.</summary>
    Categorical,
}
