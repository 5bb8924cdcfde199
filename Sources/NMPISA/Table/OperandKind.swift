/// What an assembly operand is and which instruction-word field holds it.
public enum OperandKind: Hashable, Sendable {
    /// A register of the given file, in a 4-bit register field.
    case register(RegisterClass, Field)
    /// A memory address `[rB + offset]`: scalar base register in field B, signed 16-bit
    /// byte offset in IMM16.
    case memory
    /// An immediate value in IMM16.
    case immediate(ImmediateKind)
    /// A code label, stored as a signed offset in instructions from this instruction
    /// (IMM16 for branches and `loop`, IMM20 for `jal`).
    case target(Field)

    /// The word fields this operand occupies.
    public var fields: [Field] {
        switch self {
        case .register(_, let field): [field]
        case .memory: [.b, .imm16]
        case .immediate: [.imm16]
        case .target(let field): [field]
        }
    }

    /// How ISA.md and usage messages write the operand: "rd", "[rs + imm]".
    public var syntaxHint: String {
        switch self {
        case .register(let cls, _): "\(cls.prefix)N"
        case .memory: "[rN + imm]"
        case .immediate(let kind): kind.syntaxHint
        case .target: "label"
        }
    }

    /// A noun for diagnostics: "a scalar register", "a memory operand".
    public var description: String {
        switch self {
        case .register(let cls, _): (cls.noun.first.map { "aeiou".contains($0) } == true ? "an " : "a ") + cls.noun
        case .memory: "a memory operand [rN + offset]"
        case .immediate(let kind): "an immediate (\(kind.rangeDescription))"
        case .target: "a code label"
        }
    }
}

/// The value range of an IMM16 immediate operand.
public enum ImmediateKind: Hashable, Sendable {
    /// -32768...32767, sign-extended to 32 bits.
    case signed16
    /// 0...65535, zero-extended to 32 bits.
    case unsigned16
    /// A shift amount 0...31 (the upper 11 bits of IMM16 must be zero).
    case shift5

    /// The values an operand of this kind accepts.
    public var range: ClosedRange<Int64> {
        switch self {
        case .signed16: -32768...32767
        case .unsigned16: 0...65535
        case .shift5: 0...31
        }
    }

    var syntaxHint: String {
        switch self {
        case .signed16: "simm16"
        case .unsigned16: "uimm16"
        case .shift5: "shamt"
        }
    }

    /// "-32768...32767".
    public var rangeDescription: String { "\(range.lowerBound)...\(range.upperBound)" }
}
