using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Vae.Core.Tests.TestSupport;

/// <summary>A method as the scanner names it: <c>Namespace.Type::Name(ParameterTypes)</c>.</summary>
internal readonly record struct MethodName(string Type, string Name, string Parameters)
{
    public override string ToString() => $"{Type}::{Name}({Parameters})";
}

/// <summary>One method body of an assembly and the methods it calls (call, callvirt, newobj, ldftn), in IL order.</summary>
internal sealed record MethodCalls(MethodName Method, IReadOnlyList<MethodName> Calls);

/// <summary>
/// Reads the IL of every method body of an assembly and lists the methods each one calls, with no other library than
/// System.Reflection.Metadata: enough to check rules about which APIs the library's code may call.
/// </summary>
internal static class IlCalls
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Every method body of the assembly at <paramref name="path"/> with the methods it calls.</summary>
    public static IReadOnlyList<MethodCalls> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new SignatureNames();
        var result = new List<MethodCalls>();
        foreach (var handle in reader.MethodDefinitions)
        {
            var definition = reader.GetMethodDefinition(handle);
            if (definition.RelativeVirtualAddress == 0) continue;
            var body = pe.GetMethodBody(definition.RelativeVirtualAddress);
            result.Add(new MethodCalls(NameOf(reader, handle, names), CallsIn(reader, body.GetILBytes()!, names)));
        }
        return result;
    }

    private static List<MethodName> CallsIn(MetadataReader reader, byte[] il, SignatureNames names)
    {
        var calls = new List<MethodName>();
        var offset = 0;
        while (offset < il.Length)
        {
            short value = il[offset++];
            if (value == 0xFE) value = (short)(0xFE00 | il[offset++]);
            var opCode = OpCodesByValue[value];
            var operandSize = opCode.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, offset),
                _ => 4,
            };
            if (opCode.OperandType == OperandType.InlineMethod)
            {
                var token = BitConverter.ToInt32(il, offset);
                if (TryName(reader, MetadataTokens.EntityHandle(token), names, out var called)) calls.Add(called);
            }
            offset += operandSize;
        }
        return calls;
    }

    private static bool TryName(MetadataReader reader, EntityHandle handle, SignatureNames names, out MethodName name)
    {
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                name = NameOf(reader, (MethodDefinitionHandle)handle, names);
                return true;
            case HandleKind.MemberReference:
            {
                var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                if (member.GetKind() != MemberReferenceKind.Method) break;
                var signature = member.DecodeMethodSignature(names, reader);
                name = new MethodName(TypeName(reader, member.Parent, names), reader.GetString(member.Name), string.Join(",", signature.ParameterTypes));
                return true;
            }
            case HandleKind.MethodSpecification:
                return TryName(reader, reader.GetMethodSpecification((MethodSpecificationHandle)handle).Method, names, out name);
        }
        name = default;
        return false;
    }

    private static MethodName NameOf(MetadataReader reader, MethodDefinitionHandle handle, SignatureNames names)
    {
        var definition = reader.GetMethodDefinition(handle);
        var signature = definition.DecodeSignature(names, reader);
        return new MethodName(TypeName(reader, definition.GetDeclaringType(), names), reader.GetString(definition.Name), string.Join(",", signature.ParameterTypes));
    }

    private static string TypeName(MetadataReader reader, EntityHandle handle, SignatureNames names) => handle.Kind switch
    {
        HandleKind.TypeDefinition => names.GetTypeFromDefinition(reader, (TypeDefinitionHandle)handle, 0),
        HandleKind.TypeReference => names.GetTypeFromReference(reader, (TypeReferenceHandle)handle, 0),
        HandleKind.TypeSpecification => reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(names, reader),
        _ => "?",
    };

    // Type names without generic arguments' details: enough to tell overloads apart.
    private sealed class SignatureNames : ISignatureTypeProvider<string, MetadataReader>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(MetadataReader genericContext, int index) => $"!!{index}";
        public string GetGenericTypeParameter(MetadataReader genericContext, int index) => $"!{index}";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeDefinition(handle);
            var name = reader.GetString(type.Name);
            var declaring = type.GetDeclaringType();
            return declaring.IsNil ? Join(reader.GetString(type.Namespace), name) : GetTypeFromDefinition(reader, declaring, 0) + "/" + name;
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            var name = reader.GetString(type.Name);
            return type.ResolutionScope.Kind == HandleKind.TypeReference
                ? GetTypeFromReference(reader, (TypeReferenceHandle)type.ResolutionScope, 0) + "/" + name
                : Join(reader.GetString(type.Namespace), name);
        }

        public string GetTypeFromSpecification(MetadataReader reader, MetadataReader genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        private static string Join(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;
    }
}
