namespace Vae.Core.Data;

/// <summary>Which part of MNIST to load.</summary>
public enum MnistSplit
{
    /// <summary>The training images and labels (<c>train-*</c> files; 60,000 digits in the full download).</summary>
    Train,

    /// <summary>The test images and labels (<c>t10k-*</c> files; 10,000 digits in the full download).</summary>
    Test,
}
