/// The bit layouts of a 32-bit instruction word.
///
/// Every format keeps the opcode in bits 0-7. Register fields are 4 bits wide.
/// Bits that an instruction does not use are reserved and must be zero: the decoder
/// rejects a word with a reserved bit set, so every valid word has exactly one meaning
/// and one text form.
public enum InstructionFormat: String, CaseIterable, Sendable {
    /// No operands: bits 8-31 reserved.
    case n = "N"
    /// Up to four register fields: A 8-11, B 12-15, C 16-19, D 20-23; bits 24-31 reserved.
    case r = "R"
    /// Two register fields and an immediate: A 8-11, B 12-15, IMM16 16-31.
    case i = "I"
    /// One register field and a long immediate: A 8-11, IMM20 12-31.
    case j = "J"
}

/// A field of the instruction word that an operand occupies.
public enum Field: String, CaseIterable, Sendable {
    case a = "A", b = "B", c = "C", d = "D"
    case imm16 = "IMM16"
    case imm20 = "IMM20"

    /// Lowest bit of the field in the word.
    public var shift: UInt32 {
        switch self {
        case .a: 8
        case .b: 12
        case .c: 16
        case .d: 20
        case .imm16: 16
        case .imm20: 12
        }
    }

    /// Width of the field in bits.
    public var width: UInt32 {
        switch self {
        case .a, .b, .c, .d: 4
        case .imm16: 16
        case .imm20: 20
        }
    }

    /// The field's bits within the word.
    public var mask: UInt32 { ((1 << width) - 1) << shift }
}
