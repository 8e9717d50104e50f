namespace Vae.Core.Tests.Interop;

public sealed class ProtoWriterTests
{
    [Fact]
    public void VarintsAreTheWireFormatsOwnExample()
    {
        // The protobuf encoding guide's example: field 1 set to 150 is 08 96 01.
        new ProtoWriter().Int(1, 150).ToArray().Should().Equal(0x08, 0x96, 0x01);
    }

    [Fact]
    public void ANegativeIntegerTakesTenBytesOfTwosComplement()
    {
        new ProtoWriter().Int(1, -1).ToArray().Should().Equal(0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    }

    [Fact]
    public void StringsAndMessagesAreLengthDelimited()
    {
        // Field 2 "testing" is the guide's example 12 07 74 65 73 74 69 6e 67; nested in field 3 it gains 1a 09.
        var inner = new ProtoWriter().String(2, "testing");
        inner.ToArray().Should().Equal(0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67);
        new ProtoWriter().Message(3, inner).ToArray().Should().Equal(0x1a, 0x09, 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67);
    }

    [Fact]
    public void FloatsAreFourLittleEndianBytesAndLargeFieldNumbersTakeTwoTagBytes()
    {
        new ProtoWriter().Float(2, 1f).ToArray().Should().Equal(0x15, 0x00, 0x00, 0x80, 0x3F);
        new ProtoWriter().Int(20, 7).ToArray().Should().Equal(0xA0, 0x01, 0x07);
    }

    [Fact]
    public void FieldNumbersStartAtOne()
    {
        var write = () => new ProtoWriter().Int(0, 1);
        write.Should().Throw<ArgumentOutOfRangeException>();
    }
}
