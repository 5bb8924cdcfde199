/// Why a 32-bit word is not a valid ISA v1 instruction.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bits 0-7 name no opcode.
    case unknownOpcode(UInt8)
    /// A bit the opcode does not use is set.
    case reservedBitsSet(Opcode, mask: UInt32)
    /// A register field names a register the file does not have.
    case registerOutOfRange(Opcode, RegisterClass, Int)
    /// An immediate is outside the operand's range (a shift amount above 31).
    case immediateOutOfRange(Opcode, Int64)
    /// A `loop` whose end is not after its first body instruction (offset below 2).
    case emptyLoopBody(offset: Int32)
    /// A matrix product (`mgemm`, `hgemm`, ...) whose last accumulator comes before its first (ISA.md 7.8).
    case emptyAccumulatorRange(Opcode, first: Int, last: Int)

    public var description: String {
        switch self {
        case .unknownOpcode(let op):
            "unknown opcode 0x\(hex(UInt32(op), digits: 2))"
        case .reservedBitsSet(let op, let mask):
            "reserved bits set in '\(op.mnemonic)' (mask 0x\(hex(mask, digits: 8)))"
        case .registerOutOfRange(let op, let cls, let index):
            "'\(op.mnemonic)' names \(cls.noun) \(cls.name(index)), but there are only \(cls.count)"
        case .immediateOutOfRange(let op, let value):
            "'\(op.mnemonic)' immediate \(value) is out of range"
        case .emptyLoopBody(let offset):
            "'loop' with end offset \(offset) has an empty body (the offset must be at least 2)"
        case .emptyAccumulatorRange(let op, let first, let last):
            "'\(op.mnemonic)' accumulators a\(first) ... a\(last) are no range (the last must not come before the first)"
        }
    }
}

/// Zero-padded upper-case hexadecimal.
public func hex(_ value: UInt32, digits: Int) -> String {
    let s = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - s.count)) + s
}

extension Opcode {
    /// The word bits this opcode's operands occupy, plus the opcode byte.
    public var usedBits: UInt32 {
        spec.operands.reduce(UInt32(0xFF)) { mask, operand in
            operand.fields.reduce(mask) { $0 | $1.mask }
        }
    }
}

extension Instruction {
    /// The 32-bit word. Field values must already be in range (the assembler checks);
    /// out-of-range bits are masked, so `encode` itself never traps.
    public var word: UInt32 {
        var word = UInt32(opcode.rawValue)
        for operand in opcode.spec.operands {
            for field in operand.fields {
                let raw: UInt32 = switch field {
                case .a, .b, .c, .d: UInt32(register(field))
                case .imm16, .imm20: UInt32(bitPattern: imm)
                }
                word |= (raw << field.shift) & field.mask
            }
        }
        return word
    }

    /// Decodes a word, rejecting unknown opcodes, set reserved bits and out-of-range fields.
    public init(decoding word: UInt32) throws(DecodeError) {
        let byte = UInt8(truncatingIfNeeded: word)
        guard let opcode = Opcode(rawValue: byte) else { throw .unknownOpcode(byte) }
        let reserved = word & ~opcode.usedBits
        guard reserved == 0 else { throw .reservedBitsSet(opcode, mask: reserved) }
        var instruction = Instruction(opcode)
        for operand in opcode.spec.operands {
            switch operand {
            case .register(let cls, let field):
                let index = UInt8((word & field.mask) >> field.shift)
                guard Int(index) < cls.count else { throw .registerOutOfRange(opcode, cls, Int(index)) }
                instruction.setRegister(field, index)
            case .memory:
                let base = UInt8((word & Field.b.mask) >> Field.b.shift)
                instruction.b = base  // scalar file has 16 registers: every 4-bit value is valid
                instruction.imm = Int32(Int16(truncatingIfNeeded: word >> 16))
            case .immediate(let kind):
                let raw = word >> 16
                switch kind {
                case .signed16: instruction.imm = Int32(Int16(truncatingIfNeeded: raw))
                case .unsigned16: instruction.imm = Int32(raw)
                case .shift5:
                    guard raw <= 31 else { throw .immediateOutOfRange(opcode, Int64(raw)) }
                    instruction.imm = Int32(raw)
                }
            case .target(let field):
                let raw = (word & field.mask) >> field.shift
                // Sign-extend the field: shift it to the top of the word and back.
                let up = 32 - field.width
                instruction.imm = Int32(bitPattern: raw << up) >> up
            }
        }
        if opcode == .loop, instruction.imm < 2 { throw .emptyLoopBody(offset: instruction.imm) }
        if case .gemm = opcode.spec.timing, instruction.d < instruction.a {
            throw .emptyAccumulatorRange(opcode, first: Int(instruction.a), last: Int(instruction.d))
        }
        self = instruction
    }
}
