import NMPISA

// ISA.md 7.5: conditional branches, jumps and the hardware loop. A handler only decides
// whether control is redirected (`taken`) and where to; the branch penalty and the loop
// check are the step loop's (ISA.md 6.3, 6.4). `imm` already holds the absolute target.

extension Core {
    @inline(__always)
    mutating func executeBranch(_ ins: InstructionRef) -> Trap? {
        let p = X(ins.a), q = X(ins.b)
        switch ins.opcode {
        case .beq: taken = p == q
        case .bne: taken = p != q
        case .blt: taken = Int32(bitPattern: p) < Int32(bitPattern: q)
        case .bge: taken = Int32(bitPattern: p) >= Int32(bitPattern: q)
        case .bltu: taken = p < q
        case .bgeu: taken = p >= q
        case .jal:
            setX(ins.a, UInt32(truncatingIfNeeded: pc + 1))
            taken = true
        case .jalr:
            // The target is read before rd is written (rd may be rs).
            let target = X(ins.b) &+ UInt32(bitPattern: ins.imm)
            setX(ins.a, UInt32(truncatingIfNeeded: pc + 1))
            taken = true
            nextPC = Int(target)
            return nil
        case .loop:
            if p == 0 {
                taken = true   // skipped: jumps to its end
            } else {
                guard loopCount < loops.depth else {
                    return trap(.loopOverflow, ins.word, "the loop stack already holds loopDepth = \(loops.depth) entries")
                }
                loops.start[loopCount] = pc + 1
                loops.end[loopCount] = Int(ins.imm)
                loops.remaining[loopCount] = p
                loopCount += 1
                loopEnd = Int(ins.imm)
            }
        default:
            break   // not a branch: the step loop dispatches by group
        }
        if taken { nextPC = Int(ins.imm) }
        return nil
    }
}
