using System.Buffers.Binary;
using System.Text;
using Vae.Core.Tests.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

/// <summary>Failures of a damaged .safetensors file that used to name neither the file nor the problem.</summary>
public sealed class SafetensorsMessagesTests
{
    private static void WriteSafetensors(string path, byte[] header, int dataBytes)
    {
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        File.WriteAllBytes(path, [.. length, .. header, .. new byte[dataBytes]]);
    }

    [Theory]
    [InlineData(2_147_483_600L)] // above Array.MaxLength: no byte array can hold it
    [InlineData(2_147_483_647L)]
    public void AFileClaimingTwoGigabytesIsNamed(long bytes)
    {
        using var folder = new TempFolder();
        var path = folder.File("big.safetensors");
        WriteSafetensors(path, Encoding.UTF8.GetBytes($"{{\"w\":{{\"dtype\":\"U8\",\"shape\":[{bytes}],\"data_offsets\":[0,{bytes}]}}}}"), 16);

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"'{path}': the safetensors header claims more tensor data than one array can hold*");
    }

    [Fact]
    public void AHeaderThatIsNotUtf8IsNamed()
    {
        using var folder = new TempFolder();
        var path = folder.File("utf8.safetensors");
        WriteSafetensors(path, [.. "{\"w"u8, 0xFF, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8], 4);

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"'{path}': the safetensors header is not valid UTF-8*");
    }
}
