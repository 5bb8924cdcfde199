import NMPISA

/// A register or memory range an instruction wrote, for `--trace` and debuggers.
public enum WrittenLocation: Equatable, Sendable {
    case scalar(Int), trit(Int), matrix(Int), vector(Int), accumulator(Int)
    /// The vector length (`setvl`).
    case vl
    /// `bytes` bytes of a memory from `address` (a store).
    case memory(MemorySpace, address: Int, bytes: Int)
}

extension Simulator {
    /// What the instruction of `record` wrote: its destination registers (ISA.md 6.1's
    /// destinations, as the scoreboard has them: `r0` is never written; `mgemm` and `mgemz`
    /// also write their accumulators aD ... aE) and, for a store, the memory range.
    ///
    /// Read while the trace callback runs (right after the instruction retired), the
    /// locations hold the values the instruction wrote; DMA copies are not included (they
    /// take effect at their transfer's end cycle, `TraceRecord.dmaEnd`). Costs nothing
    /// unless called: it reads the decoded instruction and the registers.
    public func written(by record: TraceRecord) -> [WrittenLocation] {
        guard record.pc >= 0 && record.pc < code.count else { return [] }
        let ins = code[record.pc]
        var locations: [WrittenLocation] = []
        for slot in [Int(ins.d0), Int(ins.d1)] {
            switch slot {
            case Scoreboard.scalar..<Scoreboard.trit: locations.append(.scalar(slot - Scoreboard.scalar))
            case Scoreboard.trit..<Scoreboard.matrix: locations.append(.trit(slot - Scoreboard.trit))
            case Scoreboard.matrix..<Scoreboard.vector: locations.append(.matrix(slot - Scoreboard.matrix))
            case Scoreboard.vector..<Scoreboard.accumulator: locations.append(.vector(slot - Scoreboard.vector))
            case Scoreboard.accumulator..<Scoreboard.vl: locations.append(.accumulator(slot - Scoreboard.accumulator))
            case Scoreboard.vl: locations.append(.vl)
            default: break   // discarded (r0, no destination)
            }
        }
        let spec = ins.opcode.spec
        switch spec.timing {
        case .gemm:
            for k in Int(ins.a)...Int(ins.d) { locations.append(.accumulator(k)) }
        case .memory(let space, let size, load: false, _):
            // A store writes no register, so its base register still holds the address's base.
            let address = Int(registers.x[Int(ins.b)] &+ UInt32(bitPattern: ins.imm))
            locations.append(.memory(space, address: address,
                                     bytes: size.bytes(vl: record.vl, rows: config.rows, rowBytes: config.rowBytes)))
        default:
            break
        }
        return locations
    }
}

/// A DMA transfer as a DMA instruction enqueued it (ISA.md 6.5).
public struct DMATransfer: Equatable, Sendable {
    /// `dmaw`, `dmaa` or `dmas`.
    public var opcode: Opcode
    public var source: MemorySpace, sourceAddress: Int
    public var destination: MemorySpace, destinationAddress: Int
    public var bytes: Int
    /// The cycle the instruction enqueued it (its issue cycle).
    public var enqueued: Int
    /// The cycles its data flows over the DRAM channel, `flowStart ..< end`; the copy takes
    /// effect at the start of cycle `end`.
    public var flowStart: Int, end: Int

    /// The memories a DMA instruction copies from and to (ISA.md 6.5): `dmaw` DRAM to the
    /// weight SRAM, `dmaa` DRAM to the activation SRAM, `dmas` the activation SRAM to DRAM.
    public static func direction(of opcode: Opcode) -> (source: MemorySpace, destination: MemorySpace) {
        switch opcode {
        case .dmaw: (.dram, .weightSRAM)
        case .dmaa: (.dram, .activationSRAM)
        default: (.activationSRAM, .dram)
        }
    }
}

extension Simulator {
    /// The transfer the DMA instruction of `record` enqueued, or nil for any other record.
    /// Its addresses are read from the instruction's registers, which a DMA instruction does
    /// not write, so call it while the trace callback for `record` runs.
    public func transfer(of record: TraceRecord) -> DMATransfer? {
        guard record.dmaEnd >= 0, record.pc >= 0 && record.pc < code.count else { return nil }
        let ins = code[record.pc]
        let (source, destination) = DMATransfer.direction(of: ins.opcode)
        let dataCycles = (record.dmaBytes + config.dramBytesPerCycle - 1) / config.dramBytesPerCycle
        return DMATransfer(opcode: ins.opcode, source: source, sourceAddress: Int(registers.x[Int(ins.b)]),
                           destination: destination, destinationAddress: Int(registers.x[Int(ins.a)]),
                           bytes: record.dmaBytes, enqueued: record.cycle, flowStart: record.dmaEnd - dataCycles, end: record.dmaEnd)
    }
}
