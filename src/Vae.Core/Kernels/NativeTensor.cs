using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>The address of a CPU tensor's first element, for kernels that work on libtorch's memory in place.</summary>
internal static unsafe partial class NativeTensor
{
    // LibTorchSharp's own export behind TorchSharp's TensorAccessor; TorchSharp has loaded the library by the time any
    // tensor exists, and the runtime resolves the name the same way for this assembly.
    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The first element of <paramref name="tensor"/>, which must be a contiguous float32 tensor on the CPU.</summary>
    public static float* Floats(Tensor tensor)
    {
        if (tensor.dtype != ScalarType.Float32 || tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException($"expected a contiguous float32 CPU tensor, got {tensor.dtype} on {tensor.device} (contiguous: {tensor.is_contiguous()})", nameof(tensor));
        return (float*)Data(tensor);
    }

    /// <summary>The first element of <paramref name="tensor"/>, which must be a contiguous int64 tensor on the CPU.</summary>
    public static long* Longs(Tensor tensor)
    {
        if (tensor.dtype != ScalarType.Int64 || tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException($"expected a contiguous int64 CPU tensor, got {tensor.dtype} on {tensor.device} (contiguous: {tensor.is_contiguous()})", nameof(tensor));
        return (long*)Data(tensor);
    }

    /// <summary>
    /// The <paramref name="length"/> elements from element <paramref name="offset"/> of <paramref name="tensor"/>, a
    /// contiguous float32 CPU tensor, in libtorch's memory (no copy): valid while the tensor lives.
    /// </summary>
    public static ReadOnlySpan<float> FloatSpan(Tensor tensor, long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > tensor.numel())
            throw new ArgumentOutOfRangeException(nameof(length), $"elements {offset} to {offset + length} do not lie within the tensor's {tensor.numel()}");
        return length == 0 ? default : new ReadOnlySpan<float>(Floats(tensor) + offset, length);
    }

    /// <summary>
    /// The bytes of <paramref name="tensor"/>, a contiguous CPU tensor of any type, in libtorch's memory (no copy): valid
    /// while the tensor lives.
    /// </summary>
    public static ReadOnlySpan<byte> Bytes(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException($"expected a contiguous CPU tensor, got one on {tensor.device} (contiguous: {tensor.is_contiguous()})", nameof(tensor));
        var length = checked((int)(tensor.numel() * tensor.element_size()));
        return length == 0 ? default : new ReadOnlySpan<byte>((void*)Data(tensor), length);
    }

    /// <summary>The address of <paramref name="tensor"/>'s first element, on any device: for telling whether two tensors share memory.</summary>
    public static IntPtr Address(Tensor tensor) => Data(tensor);

    private static IntPtr Data(Tensor tensor)
    {
        var data = THSTensor_data(tensor.Handle);
        if (data == IntPtr.Zero) throw new InvalidOperationException("libtorch returned no data pointer for a tensor.");
        return data;
    }
}
