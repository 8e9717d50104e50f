using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>A random generator's state as bytes: what checkpoints store and what a resumed epoch replays its shuffle from.</summary>
internal static class GeneratorState
{
    public static byte[] Save(Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    public static void Restore(Generator generator, byte[] bytes)
    {
        using var state = tensor(bytes, dtype: ScalarType.Byte);
        generator.set_state(state);
    }
}
