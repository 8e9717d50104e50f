using System.Numerics;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Rows of .NET arrays to a <c>[N, width]</c> tensor of a model's floating type and device, and tensors back to
/// arrays: every shape check names the row and the widths, so a caller who never sees a tensor still learns what was wrong.
/// </summary>
internal static class ArrayTable
{
    /// <summary>The floating type and device of <paramref name="model"/>'s parameters (float32 on the CPU without any).</summary>
    public static (ScalarType DType, Device Device) Of(VariationalAutoencoder model)
    {
        var first = model.parameters().FirstOrDefault();
        return first is null ? (ScalarType.Float32, CPU) : (first.dtype, first.device);
    }

    public static Tensor Rows<T>(VariationalAutoencoder model, T[][] rows, long width, string name) where T : unmanaged, IFloatingPointIeee754<T> =>
        Place(model, ToTensor(Flatten(rows, width, name), rows.Length, width));

    public static Tensor Rows<T>(VariationalAutoencoder model, T[,] rows, long width, string name) where T : unmanaged, IFloatingPointIeee754<T> =>
        Place(model, ToTensor(Flatten(rows, width, name), rows.GetLength(0), width));

    public static Tensor Row<T>(VariationalAutoencoder model, T[] row, long width, string name) where T : unmanaged, IFloatingPointIeee754<T> =>
        Place(model, ToTensor(CheckRow(row, width, name), 1, width));

    public static T[][] ToRows<T>(Tensor table) where T : unmanaged, IFloatingPointIeee754<T> => Jagged(Values<T>(table), table);

    public static T[,] ToMatrix<T>(Tensor table) where T : unmanaged, IFloatingPointIeee754<T> => Matrix(Values<T>(table), table);

    public static T[] ToRow<T>(Tensor table) where T : unmanaged, IFloatingPointIeee754<T> => Values<T>(table);

    // float and double arrays go to libtorch as they are; another type (Half, NFloat) through float.
    private static Tensor ToTensor<T>(T[] flat, long rows, long width) where T : unmanaged, IFloatingPointIeee754<T> => flat switch
    {
        float[] floats => tensor(floats, [rows, width]),
        double[] doubles => tensor(doubles, [rows, width]),
        _ => tensor(Array.ConvertAll(flat, float.CreateTruncating), [rows, width]),
    };

    private static T[] Values<T>(Tensor table) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return (T[])(object)Floats(table);
        if (typeof(T) == typeof(double)) return (T[])(object)Doubles(table);
        return Array.ConvertAll(Doubles(table), T.CreateTruncating);
    }

    private static Tensor Place(VariationalAutoencoder model, Tensor table)
    {
        var (dtype, device) = Of(model);
        return table.dtype == dtype && table.device == device ? table : table.to(dtype, device);
    }

    private static T[] Flatten<T>(T[][] rows, long width, string name)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        var flat = new T[checked(rows.Length * width)];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i] ?? throw new ArgumentException($"Row {i} of {name} is null.", name);
            if (row.Length != width)
            {
                var others = i > 0 && rows[0].Length != row.Length ? $", row 0 has {rows[0].Length}" : "";
                throw new ArgumentException(
                    $"Row {i} of {name} has {row.Length} values{others}, but the model takes {width} per row ({nameof(VaeOptions.InputSize)}).", name);
            }
            row.CopyTo(flat, i * width);
        }
        return flat;
    }

    private static T[] Flatten<T>(T[,] rows, long width, string name) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        if (rows.GetLength(1) != width)
            throw new ArgumentException(
                $"{name} has {rows.GetLength(1)} columns ({rows.GetLength(0)} x {rows.GetLength(1)}), but the model takes {width} per row ({nameof(VaeOptions.InputSize)}).", name);
        var flat = new T[rows.Length];
        // A rectangular array is one block of memory in row-major order.
        Buffer.BlockCopy(rows, 0, flat, 0, flat.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return flat;
    }

    private static T[] CheckRow<T>(T[] row, long width, string name)
    {
        ArgumentNullException.ThrowIfNull(row, name);
        if (row.Length != width)
            throw new ArgumentException($"{name} has {row.Length} values, but the model takes {width} ({nameof(VaeOptions.InputSize)}).", name);
        return row;
    }

    private static float[] Floats(Tensor table)
    {
        using var scope = NewDisposeScope();
        return table.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
    }

    private static double[] Doubles(Tensor table)
    {
        using var scope = NewDisposeScope();
        return table.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
    }

    private static T[][] Jagged<T>(T[] flat, Tensor table)
    {
        var (rows, width) = ((int)table.shape[0], (int)table.shape[1]);
        var result = new T[rows][];
        for (var i = 0; i < rows; i++) result[i] = flat.AsSpan(i * width, width).ToArray();
        return result;
    }

    private static T[,] Matrix<T>(T[] flat, Tensor table) where T : unmanaged
    {
        var result = new T[table.shape[0], table.shape[1]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return result;
    }
}
