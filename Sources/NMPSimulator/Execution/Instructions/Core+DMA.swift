import NMPISA

// ISA.md 7.7: DMA transfers are bounds-checked and enqueued at issue (ISA.md 6.5); the copy
// happens at the transfer's end cycle (`DMAQueue.complete`). Waiting for a free queue slot
// and `dwait` are the step loop's, before issue (ISA.md 6.8).

extension Core {
    @inline(__always)
    mutating func executeDMA(_ ins: InstructionRef) -> Trap? {
        let op = ins.opcode
        guard op != .dwait else { return nil }
        let destination = Int(X(ins.a)), source = Int(X(ins.b)), length = Int(X(ins.c))
        let (sourceSize, destinationSize) = switch op {
        case .dmaw: (dramSize, wsramSize)
        case .dmaa: (dramSize, asramSize)
        default: (asramSize, dramSize)
        }
        guard source + length <= sourceSize && destination + length <= destinationSize else {
            return dmaTrap(ins, destination: destination, source: source, length: length,
                           sourceSize: sourceSize, destinationSize: destinationSize)
        }
        // Pipelined (ISA.md 6.5): the request's latency overlaps earlier transfers' data; the
        // data itself flows one transfer at a time.
        let flow = max(issue + 1 + dmaLatency, dma.lastEnd)
        let end = flow + (length + dramBytesPerCycle - 1) / dramBytesPerCycle
        dma.push(op, destination: destination, source: source, length: length, end: end)
        dmaLength = length
        return nil
    }

    func dmaTrap(_ ins: InstructionRef, destination: Int, source: Int, length: Int, sourceSize: Int, destinationSize: Int) -> Trap {
        let op = ins.opcode
        let (from, to) = op == .dmas ? ("asram", "dram") : ("dram", op == .dmaw ? "wsram" : "asram")
        return trap(.dmaFault, ins.word,
                    "transfer of \(length) bytes from \(from) \(hexAddress(source)) to \(to) \(hexAddress(destination)): "
                        + (source + length > sourceSize ? "the source ends beyond the \(sourceSize)-byte \(from)"
                                                         : "the destination ends beyond the \(destinationSize)-byte \(to)"))
    }
}
