import NMPISA

// ISA.md 7.4: scalar register-register and register-immediate arithmetic. Everything wraps
// modulo 2^32 (the &-operators); division by zero and INT_MIN / -1 have defined results.

extension Core {
    @inline(__always)
    mutating func executeScalar(_ ins: InstructionRef) {
        let p = X(ins.b), q = X(ins.c)
        let imm = UInt32(bitPattern: ins.imm)
        let result: UInt32
        switch ins.opcode {
        case .add: result = p &+ q
        case .sub: result = p &- q
        case .mul: result = p &* q
        case .div:
            let n = Int32(bitPattern: p), d = Int32(bitPattern: q)
            result = UInt32(bitPattern: d == 0 ? -1 : (n == .min && d == -1 ? .min : n / d))
        case .divu: result = q == 0 ? .max : p / q
        case .and: result = p & q
        case .or: result = p | q
        case .xor: result = p ^ q
        case .sll: result = p &<< (q & 31)
        case .srl: result = p &>> (q & 31)
        case .sra: result = UInt32(bitPattern: Int32(bitPattern: p) &>> Int32(q & 31))
        case .slt: result = Int32(bitPattern: p) < Int32(bitPattern: q) ? 1 : 0
        case .sltu: result = p < q ? 1 : 0
        case .min: result = UInt32(bitPattern: Swift.min(Int32(bitPattern: p), Int32(bitPattern: q)))
        case .max: result = UInt32(bitPattern: Swift.max(Int32(bitPattern: p), Int32(bitPattern: q)))
        case .addi: result = p &+ imm
        case .andi: result = p & imm
        case .ori: result = p | imm
        case .xori: result = p ^ imm
        case .slli: result = p &<< imm
        case .srli: result = p &>> imm
        case .srai: result = UInt32(bitPattern: Int32(bitPattern: p) &>> ins.imm)
        case .slti: result = Int32(bitPattern: p) < ins.imm ? 1 : 0
        case .lui: result = imm &<< 16
        default: return   // not a scalar opcode: the step loop dispatches by group
        }
        setX(ins.a, result)
    }
}
