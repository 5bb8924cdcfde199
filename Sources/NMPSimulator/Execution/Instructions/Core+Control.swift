import NMPISA

// ISA.md 7.3: nop, halt, setvl. `halt`'s waits and the end of the run are the step loop's
// (ISA.md 6.6); its semantics are empty.

extension Core {
    @inline(__always)
    mutating func executeControl(_ ins: InstructionRef) {
        switch ins.opcode {
        case .setvl:
            vl = Int(min(X(ins.b), UInt32(vlen)))
            setX(ins.a, UInt32(vl))
        default:
            break   // nop, halt
        }
    }
}
