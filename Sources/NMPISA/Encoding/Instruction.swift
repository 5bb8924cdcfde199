/// A decoded instruction: the opcode and the values of its word fields.
///
/// Fields the opcode does not use are zero. `imm` holds IMM16 or IMM20 already
/// extended as the operand kind says (signed, zero-extended, or a signed code offset).
public struct Instruction: Hashable, Sendable {
    public var opcode: Opcode
    public var a: UInt8
    public var b: UInt8
    public var c: UInt8
    public var d: UInt8
    public var imm: Int32

    public init(_ opcode: Opcode, a: UInt8 = 0, b: UInt8 = 0, c: UInt8 = 0, d: UInt8 = 0, imm: Int32 = 0) {
        self.opcode = opcode
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.imm = imm
    }

    /// The value of a register field.
    public func register(_ field: Field) -> UInt8 {
        switch field {
        case .a: a
        case .b: b
        case .c: c
        case .d: d
        case .imm16, .imm20: 0
        }
    }

    /// Sets a register field.
    public mutating func setRegister(_ field: Field, _ value: UInt8) {
        switch field {
        case .a: a = value
        case .b: b = value
        case .c: c = value
        case .d: d = value
        case .imm16, .imm20: break
        }
    }
}

extension ImmediateKind {
    /// Whether `value` fits this kind.
    public func accepts(_ value: Int64) -> Bool { range.contains(value) }
}

extension OperandKind {
    /// The range of a code-target offset (in instructions, relative to the instruction's own pc).
    public static func targetRange(_ field: Field) -> ClosedRange<Int64> {
        field == .imm20 ? -(1 << 19)...((1 << 19) - 1) : -32768...32767
    }
}
