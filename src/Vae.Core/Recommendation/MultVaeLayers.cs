using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Vae.Core.Kernels;
using Tensor = TorchSharp.torch.Tensor;

namespace Vae.Core.Recommendation;

/// <summary>
/// The two catalogue-sized layers of Mult-VAE, computed from the click lists instead of from dense users x items
/// matrices: the encoder's input layer (a weighted sum of the weight rows of the clicked items, what an
/// embedding bag computes) and the decoder's output layer with its multinomial log-likelihood and gradients.
/// </summary>
/// <remarks>
/// Both weight matrices are stored item-major, <c>[items, units]</c>, so that a click reads one contiguous row. The
/// output layer works on the transposed logits, <c>[items, users]</c> with the users padded to a multiple of 64:
/// with that layout all three of its matrix products read their right-hand operand row by row, as
/// <see cref="Sgemm"/> requires, and none needs a transposed copy of a 20,000-item matrix.
/// </remarks>
internal static unsafe class MultVaeLayers
{
    // Items per call of the product whose inner dimension is the catalogue: a 512 x 64 panel of the weights stays in
    // the L2 cache while every tile of users reads it.
    private const int ItemChunk = 256;

    // Rows of the catalogue-long products per call of Sgemm: its column panels are its outer loop, so without blocks
    // every panel would stream the whole 20,000-row operand from memory again; a block of 192 rows of 600 floats
    // (460 KB) stays in the L2 cache while every panel passes over it.
    private const int RowBlock = 192;

    /// <summary>
    /// The weight of every click of <paramref name="batch"/> in the encoder's input: the click's value over the
    /// Euclidean norm of its user's row (the reference's l2_normalize), then dropout as the reference applies it to
    /// the normalised vector: a dropped click weighs 0, a kept one is scaled by 1 / (1 - dropout).
    /// </summary>
    /// <param name="batch">The users' clicks.</param>
    /// <param name="dropout">The probability that a click was dropped.</param>
    /// <param name="keep">Whether each click is kept, aligned with the batch's clicks; null keeps all without rescaling (scoring).</param>
    public static float[] InputWeights(ClickMatrix batch, double dropout, ReadOnlySpan<bool> keep)
    {
        var weights = new float[batch.ClickCount];
        var rows = batch.RowPointers;
        var values = batch.Values;
        var rescale = keep.IsEmpty ? 1.0 : 1.0 / (1.0 - dropout);
        for (var user = 0; user < batch.UserCount; user++)
        {
            var (start, end) = (rows[user], rows[user + 1]);
            var squares = 0.0;
            for (var c = start; c < end; c++)
                squares += values.IsEmpty ? 1.0 : (double)values[c] * values[c];
            var scale = squares > 0 ? 1.0 / Math.Sqrt(squares) : 0.0;
            for (var c = start; c < end; c++)
            {
                var value = values.IsEmpty ? 1.0 : values[c];
                weights[c] = keep.IsEmpty ? (float)(value * scale) : keep[c] ? (float)(value * scale * rescale) : 0f;
            }
        }
        return weights;
    }

    /// <summary>output[u] = bias + sum over the clicks c of user u of weights[c] x weight row of the clicked item.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputForward(ClickMatrix batch, float[] clickWeights, float* weight, float* bias, int units, float* output, int threads)
    {
        var users = batch.UserCount;
        var (w, b, o) = ((nint)weight, (nint)bias, (nint)output);
        var parts = Math.Clamp(threads, 1, Math.Max(1, users / 16));
        KernelThreads.Run(parts, part =>
        {
            var rows = batch.RowPointers;
            var items = batch.ItemIndices;
            var biasRow = new ReadOnlySpan<float>((float*)b, units);
            for (var user = users * part / parts; user < users * (part + 1) / parts; user++)
            {
                var row = new Span<float>((float*)o + (long)user * units, units);
                biasRow.CopyTo(row);
                for (var c = rows[user]; c < rows[user + 1]; c++)
                {
                    if (clickWeights[c] == 0f) continue;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)w + (long)items[c] * units, units), clickWeights[c], row, row);
                }
            }
        });
    }

    /// <summary>
    /// Adds the input layer's gradients: the bias gets the sum of <paramref name="outputGradient"/>'s rows, the weight
    /// row of every clicked item the click's weight times its user's row. The weight gradient must be zero on entry
    /// except where the caller knows it is not (see <see cref="MultVae"/>, which clears only the rows it touched).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputBackward(ClickMatrix batch, float[] clickWeights, float* outputGradient, int units, float* weightGradient, float* biasGradient)
    {
        var rows = batch.RowPointers;
        var items = batch.ItemIndices;
        var biasRow = new Span<float>(biasGradient, units);
        biasRow.Clear();
        for (var user = 0; user < batch.UserCount; user++)
        {
            var gradient = new ReadOnlySpan<float>(outputGradient + (long)user * units, units);
            TensorPrimitives.Add(biasRow, gradient, biasRow);
            for (var c = rows[user]; c < rows[user + 1]; c++)
            {
                if (clickWeights[c] == 0f) continue;
                var target = new Span<float>(weightGradient + (long)items[c] * units, units);
                TensorPrimitives.MultiplyAdd(gradient, clickWeights[c], target, target);
            }
        }
    }

    /// <summary><see cref="OutputForwardBackward(ClickMatrix, float*, int, float*, float*, float*, float*, float*, float*, int, double[])"/> on contiguous float32 CPU tensors.</summary>
    public static double OutputForwardBackward(ClickMatrix batch, Tensor hidden, Tensor weight, Tensor bias, Tensor scratch,
        Tensor weightGradient, Tensor biasGradient, Tensor hiddenGradient, int threads, double[]? phaseMilliseconds = null) =>
        OutputForwardBackward(batch, NativeTensor.Floats(hidden), (int)weight.shape[1], NativeTensor.Floats(weight), NativeTensor.Floats(bias),
            NativeTensor.Floats(scratch), NativeTensor.Floats(weightGradient), NativeTensor.Floats(biasGradient), NativeTensor.Floats(hiddenGradient),
            threads, phaseMilliseconds);

    /// <summary>C = A B for a tall A, by blocks of <see cref="RowBlock"/> rows, the blocks shared among the threads.</summary>
    private static void MultiplyInRowBlocks(int m, int n, int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc, int threads)
    {
        var blocks = (m + RowBlock - 1) / RowBlock;
        var parts = Math.Clamp(threads, 1, blocks);
        var (pa, pb, pc) = ((nint)a, (nint)b, (nint)c);
        KernelThreads.Run(parts, part =>
        {
            for (var block = blocks * part / parts; block < blocks * (part + 1) / parts; block++)
            {
                var first = block * RowBlock;
                Sgemm.Multiply(Math.Min(RowBlock, m - first), n, k, (float*)pa + first * aRowStride, aRowStride, aColumnStride,
                    (float*)pb, ldb, (float*)pc + first * ldc, ldc, accumulate: false, threads: 1);
            }
        });
    }

    /// <summary>Users padded to the next multiple of 64, the width of <see cref="Sgemm"/>'s widest tile.</summary>
    public static int PaddedUsers(int users) => (users + 63) / 64 * 64;

    /// <summary>
    /// The output layer of one training batch: logits = hidden W^T + bias over all items, the multinomial negative
    /// log-likelihood <c>-sum_i x_i log softmax(logits)_i</c> of every user, and the gradients of its mean over the
    /// batch: the weight and bias gradients (overwritten) and the gradient with respect to <paramref name="hidden"/>.
    /// </summary>
    /// <param name="batch">The users' clicks x (their values; 1 for a binary matrix).</param>
    /// <param name="units">The layer's input width.</param>
    /// <param name="hidden">The layer's input, <c>[users, units]</c> row-major.</param>
    /// <param name="weight">The weights, <c>[items, units]</c> row-major.</param>
    /// <param name="bias">The bias, <c>[items]</c>.</param>
    /// <param name="scratch">At least <c>items x PaddedUsers(users)</c> floats for the transposed logits and their gradient.</param>
    /// <param name="weightGradient">Receives the weight gradient, <c>[items, units]</c>.</param>
    /// <param name="biasGradient">Receives the bias gradient, <c>[items]</c>.</param>
    /// <param name="threads">Threads for the products and passes.</param>
    /// <param name="hiddenGradient">Receives the gradient with respect to <paramref name="hidden"/>, <c>[users, units]</c>.</param>
    /// <param name="phaseMilliseconds">When given, receives the time of the logits product, the softmax passes, the weight gradient product and the hidden gradient product (for profiles).</param>
    /// <returns>The sum over the batch's users of their negative log-likelihood.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double OutputForwardBackward(
        ClickMatrix batch, float* hidden, int units, float* weight, float* bias, float* scratch,
        float* weightGradient, float* biasGradient, float* hiddenGradient, int threads, double[]? phaseMilliseconds = null)
    {
        var clock = phaseMilliseconds is null ? null : System.Diagnostics.Stopwatch.StartNew();
        void Lap(int phase)
        {
            if (clock is null) return;
            phaseMilliseconds![phase] += clock.Elapsed.TotalMilliseconds;
            clock.Restart();
        }
        var (users, items) = (batch.UserCount, batch.ItemCount);
        var padded = PaddedUsers(users);
        var hiddenT = new float[(long)units * padded];
        for (var u = 0; u < users; u++)
            for (var j = 0; j < units; j++)
                hiddenT[(long)j * padded + u] = hidden[(long)u * units + j];

        fixed (float* hT = hiddenT)
            MultiplyInRowBlocks(items, padded, units, weight, units, 1, hT, padded, scratch, padded, threads);
        Lap(0);

        var parts = Math.Clamp(threads, 1, Math.Max(1, items / 256));
        var (logits, b) = ((nint)scratch, (nint)bias);
        var partMax = new float[parts][];
        KernelThreads.Run(parts, part =>
        {
            var max = new float[padded];
            max.AsSpan().Fill(float.NegativeInfinity);
            for (var i = items * part / parts; i < items * (part + 1) / parts; i++)
            {
                var row = new Span<float>((float*)logits + (long)i * padded, padded);
                TensorPrimitives.Add(row, ((float*)b)[i], row);
                TensorPrimitives.Max(max, row, max);
            }
            partMax[part] = max;
        });
        var columnMax = partMax[0];
        for (var p = 1; p < parts; p++)
            TensorPrimitives.Max(columnMax, partMax[p], columnMax);

        // The clicked logits, read before the buffer is turned into the gradient.
        var rows = batch.RowPointers;
        var clickItems = batch.ItemIndices;
        var values = batch.Values;
        var clickedLogits = new double[users];
        var clickTotals = new double[users];
        for (var u = 0; u < users; u++)
        {
            for (var c = rows[u]; c < rows[u + 1]; c++)
            {
                var x = values.IsEmpty ? 1.0 : values[c];
                clickedLogits[u] += x * scratch[(long)clickItems[c] * padded + u];
                clickTotals[u] += x;
            }
        }

        var partSums = new float[parts][];
        KernelThreads.Run(parts, part =>
        {
            var sum = new float[padded];
            for (var i = items * part / parts; i < items * (part + 1) / parts; i++)
            {
                var row = new Span<float>((float*)logits + (long)i * padded, padded);
                TensorPrimitives.Subtract(row, columnMax, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Add(sum, row, sum);
            }
            partSums[part] = sum;
        });
        var columnSum = partSums[0];
        for (var p = 1; p < parts; p++)
            TensorPrimitives.Add(columnSum, partSums[p], columnSum);

        // d(mean loss)/d logit = (n_u softmax - x) / users; the padding columns get 0.
        var negativeLogLikelihood = 0.0;
        var scale = new float[padded];
        for (var u = 0; u < users; u++)
        {
            negativeLogLikelihood += clickTotals[u] * (columnMax[u] + Math.Log(columnSum[u])) - clickedLogits[u];
            scale[u] = (float)(clickTotals[u] / (users * (double)columnSum[u]));
        }
        var g = (nint)biasGradient;
        KernelThreads.Run(parts, part =>
        {
            for (var i = items * part / parts; i < items * (part + 1) / parts; i++)
            {
                var row = new Span<float>((float*)logits + (long)i * padded, padded);
                TensorPrimitives.Multiply(row, scale, row);
            }
        });
        for (var u = 0; u < users; u++)
        {
            for (var c = rows[u]; c < rows[u + 1]; c++)
                scratch[(long)clickItems[c] * padded + u] -= (float)((values.IsEmpty ? 1.0 : values[c]) / users);
        }
        KernelThreads.Run(parts, part =>
        {
            for (var i = items * part / parts; i < items * (part + 1) / parts; i++)
                ((float*)g)[i] = TensorPrimitives.Sum(new ReadOnlySpan<float>((float*)logits + (long)i * padded, users));
        });

        Lap(1);
        // Weight gradient [items, units] = gradientT [items, users] x hidden [users, units].
        MultiplyInRowBlocks(items, units, users, scratch, padded, 1, hidden, units, weightGradient, units, threads);
        Lap(2);
        // Hidden gradient [users, units] = gradient [users, items] x weight [items, units], the catalogue cut in chunks.
        for (var first = 0; first < items; first += ItemChunk)
        {
            var chunk = Math.Min(ItemChunk, items - first);
            Sgemm.Multiply(users, units, chunk, scratch + (long)first * padded, 1, padded, weight + (long)first * units, units,
                hiddenGradient, units, accumulate: first > 0, threads);
        }
        Lap(3);
        return negativeLogLikelihood;
    }
}
