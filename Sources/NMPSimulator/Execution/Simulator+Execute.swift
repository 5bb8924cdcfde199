import NMPISA
import NMPSupport

extension Simulator {
    /// The step loop: ISA.md 6.8's issue algorithm, then the instruction's semantics
    /// (chapter 7), for each instruction in program order until `halt` or a trap.
    func execute<Observer: RunObserver>(maxCycles: Int, observer: inout Observer) -> (Counters, Trap?) {
        let config = self.config
        let vlen = config.vlen, rows = config.rows, rowBytes = config.rowBytes, tileBytes = config.tileBytes
        let branchPenalty = config.branchPenalty
        let wBanks = config.weightSRAM.banks, wWidth = config.weightSRAM.bankWidth
        let aBanks = config.activationSRAM.banks, aWidth = config.activationSRAM.bankWidth
        let dmaLatency = config.dmaLatency, dramBytesPerCycle = config.dramBytesPerCycle
        let code = self.code.baseAddress!, codeCount = self.code.count
        let ready = self.ready, tallies = self.tallies
        let x = registers.x, t = registers.t, m = registers.m, v = registers.v, a = registers.a
        let wsram = weightSRAM.bytes, wsramSize = weightSRAM.size
        let asram = activationSRAM.bytes, asramSize = activationSRAM.size
        let dramBytes = dram.bytes, dramSize = dram.size
        let loops = self.loops, trits = self.trits, scratch = self.scratch
        var dma = self.dma

        var pc = self.pc, vl = self.vl
        var next = 0                      // earliest issue cycle of the next instruction
        var loopCount = 0, loopEnd = -1   // loop stack height and the top entry's end
        var counters = Counters()
        var stallData = 0, stallSRAM = 0, stallBank = 0, stallBranch = 0
        var stallQueue = 0, stallWait = 0, stallDrain = 0
        var tritNonzero = 0, tritSum = 0, tritTotal = 0   // for the add/sub/skip split
        var retired = 0
        var trap: Trap?

        /// Issue cycles of an SRAM access of `n` bytes at `address` (ISA.md 6.2): the most
        /// words any one bank must deliver, at least 1; and the ideal for n bytes.
        @inline(__always)
        func bankCycles(_ address: Int, _ n: Int, banks: Int, width: Int) -> (Int, Int) {
            guard n > 0 else { return (1, 1) }
            let words = (address + n - 1) / width - address / width + 1
            let perBank = (words + banks - 1) / banks
            let ideal = (n + banks * width - 1) / (banks * width)
            return (perBank, ideal)
        }

        run: while true {
            // Fetch and decode traps, at the cycle the instruction could first issue.
            guard pc >= 0 && pc < codeCount else {
                trap = Trap(cause: next >= maxCycles ? .cycleLimit : .illegalInstruction, pc: pc, word: nil, cycle: next,
                            detail: "pc \(pc) is outside the code (\(codeCount) instructions)")
                dma.complete(upTo: next, wsram: wsram, asram: asram, dram: dramBytes)
                break run
            }
            let ins = code[pc]
            if ins.fault != .none {
                let cause: TrapCause = next >= maxCycles ? .cycleLimit : (ins.fault == .illegalLoop ? .illegalLoop : .illegalInstruction)
                trap = Trap(cause: cause, pc: pc, word: ins.word, cycle: next, detail: Self.decodeDetail(ins.word))
                dma.complete(upTo: next, wsram: wsram, asram: asram, dram: dramBytes)
                break run
            }
            let op = ins.opcode

            // Scoreboard: sources (RAW) and destinations (WAW).
            let c0 = next
            var issue = max(c0, ready[Int(ins.s0)], ready[Int(ins.s1)], ready[Int(ins.s2)], ready[Int(ins.s3)])
            if ins.d0 != UInt8(Scoreboard.discard) { issue = max(issue, ready[Int(ins.d0)]) }
            if ins.d1 != UInt8(Scoreboard.discard) { issue = max(issue, ready[Int(ins.d1)]) }
            let dataStall = issue - c0
            let c1 = issue
            var waitCause = StallCause.dmaQueue

            // DMA queue, dwait and halt wait after the scoreboard.
            switch op {
            case .dmaw, .dmaa, .dmas:
                if dma.count == dma.depth && dma.end(at: 0) > issue { issue = dma.end(at: 0) }
            case .dwait:
                waitCause = .dmaWait
                let allowed = Int(ins.imm)
                if dma.count > allowed {
                    issue = max(issue, dma.end(at: dma.count - allowed - 1))
                }
            case .halt:
                waitCause = .drain
                issue = max(issue, dma.lastEnd)
                for slot in 0..<Scoreboard.alwaysReady { issue = max(issue, ready[slot]) }
            default:
                break
            }
            let waitStall = issue - c1
            stallData += dataStall
            switch waitCause {
            case .dmaWait: stallWait += waitStall
            case .drain: stallDrain += waitStall
            default: stallQueue += waitStall
            }
            if issue >= maxCycles {
                trap = Trap(cause: .cycleLimit, pc: pc, word: ins.word, cycle: issue,
                            detail: "the instruction would issue at cycle \(issue); the limit is \(maxCycles) cycles")
                dma.complete(upTo: issue, wsram: wsram, asram: asram, dram: dramBytes)
                break run
            }
            if dma.count > 0 && dma.end(at: 0) <= issue { dma.complete(upTo: issue, wsram: wsram, asram: asram, dram: dramBytes) }

            var nextPC = pc + 1
            var occupancy = 1, ideal = 1
            var taken = false

            switch op {
            // MARK: Control
            case .nop:
                break
            case .halt:
                break
            case .setvl:
                vl = Int(min(x[Int(ins.b)], UInt32(vlen)))
                if ins.a != 0 { x[Int(ins.a)] = UInt32(vl) }

            // MARK: Scalar arithmetic
            case .add: setX(x, ins.a, x[Int(ins.b)] &+ x[Int(ins.c)])
            case .sub: setX(x, ins.a, x[Int(ins.b)] &- x[Int(ins.c)])
            case .mul: setX(x, ins.a, x[Int(ins.b)] &* x[Int(ins.c)])
            case .div:
                let n = Int32(bitPattern: x[Int(ins.b)]), d = Int32(bitPattern: x[Int(ins.c)])
                let q: Int32 = d == 0 ? -1 : (n == .min && d == -1 ? .min : n / d)
                setX(x, ins.a, UInt32(bitPattern: q))
            case .divu:
                let n = x[Int(ins.b)], d = x[Int(ins.c)]
                setX(x, ins.a, d == 0 ? .max : n / d)
            case .and: setX(x, ins.a, x[Int(ins.b)] & x[Int(ins.c)])
            case .or: setX(x, ins.a, x[Int(ins.b)] | x[Int(ins.c)])
            case .xor: setX(x, ins.a, x[Int(ins.b)] ^ x[Int(ins.c)])
            case .sll: setX(x, ins.a, x[Int(ins.b)] &<< (x[Int(ins.c)] & 31))
            case .srl: setX(x, ins.a, x[Int(ins.b)] &>> (x[Int(ins.c)] & 31))
            case .sra: setX(x, ins.a, UInt32(bitPattern: Int32(bitPattern: x[Int(ins.b)]) &>> Int32(x[Int(ins.c)] & 31)))
            case .slt: setX(x, ins.a, Int32(bitPattern: x[Int(ins.b)]) < Int32(bitPattern: x[Int(ins.c)]) ? 1 : 0)
            case .sltu: setX(x, ins.a, x[Int(ins.b)] < x[Int(ins.c)] ? 1 : 0)
            case .min: setX(x, ins.a, UInt32(bitPattern: Swift.min(Int32(bitPattern: x[Int(ins.b)]), Int32(bitPattern: x[Int(ins.c)]))))
            case .max: setX(x, ins.a, UInt32(bitPattern: Swift.max(Int32(bitPattern: x[Int(ins.b)]), Int32(bitPattern: x[Int(ins.c)]))))
            case .addi: setX(x, ins.a, x[Int(ins.b)] &+ UInt32(bitPattern: ins.imm))
            case .andi: setX(x, ins.a, x[Int(ins.b)] & UInt32(bitPattern: ins.imm))
            case .ori: setX(x, ins.a, x[Int(ins.b)] | UInt32(bitPattern: ins.imm))
            case .xori: setX(x, ins.a, x[Int(ins.b)] ^ UInt32(bitPattern: ins.imm))
            case .slli: setX(x, ins.a, x[Int(ins.b)] &<< UInt32(ins.imm))
            case .srli: setX(x, ins.a, x[Int(ins.b)] &>> UInt32(ins.imm))
            case .srai: setX(x, ins.a, UInt32(bitPattern: Int32(bitPattern: x[Int(ins.b)]) &>> ins.imm))
            case .slti: setX(x, ins.a, Int32(bitPattern: x[Int(ins.b)]) < ins.imm ? 1 : 0)
            case .lui: setX(x, ins.a, UInt32(bitPattern: ins.imm) &<< 16)

            // MARK: Branches, jumps, loops
            case .beq: taken = x[Int(ins.a)] == x[Int(ins.b)]
            case .bne: taken = x[Int(ins.a)] != x[Int(ins.b)]
            case .blt: taken = Int32(bitPattern: x[Int(ins.a)]) < Int32(bitPattern: x[Int(ins.b)])
            case .bge: taken = Int32(bitPattern: x[Int(ins.a)]) >= Int32(bitPattern: x[Int(ins.b)])
            case .bltu: taken = x[Int(ins.a)] < x[Int(ins.b)]
            case .bgeu: taken = x[Int(ins.a)] >= x[Int(ins.b)]
            case .jal:
                setX(x, ins.a, UInt32(truncatingIfNeeded: pc + 1))
                taken = true
            case .jalr:
                let target = x[Int(ins.b)] &+ UInt32(bitPattern: ins.imm)
                setX(x, ins.a, UInt32(truncatingIfNeeded: pc + 1))
                nextPC = Int(target)
                taken = true
            case .loop:
                let count = x[Int(ins.a)]
                if count == 0 {
                    taken = true
                } else {
                    guard loopCount < loops.depth else {
                        trap = Trap(cause: .loopOverflow, pc: pc, word: ins.word, cycle: issue,
                                    detail: "the loop stack already holds loopDepth = \(loops.depth) entries")
                        break run
                    }
                    loops.start[loopCount] = pc + 1
                    loops.end[loopCount] = Int(ins.imm)
                    loops.remaining[loopCount] = count
                    loopCount += 1
                    loopEnd = Int(ins.imm)
                }

            // MARK: Loads and stores
            case .lw, .sw, .lb, .sb, .ldv, .stv, .lda, .sta:
                let address = Int(x[Int(ins.b)] &+ UInt32(bitPattern: ins.imm))
                let n: Int = switch op {
                case .lw, .sw: 4
                case .lb, .sb: 1
                case .ldv, .stv: vl
                default: 4 * vl
                }
                if (op == .lw || op == .sw || op == .lda || op == .sta) && address & 3 != 0 {
                    trap = Self.memoryTrap(pc, .misaligned, "asram", address, n, asramSize, ins, issue)
                    break run
                }
                guard address + n <= asramSize else {
                    trap = Self.memoryTrap(pc, .outOfBounds, "asram", address, n, asramSize, ins, issue)
                    break run
                }
                let p = asram + address
                switch op {
                case .lw: setX(x, ins.a, UnsafeRawPointer(p).loadUnaligned(as: UInt32.self).littleEndian)
                case .sw: UnsafeMutableRawPointer(p).storeBytes(of: x[Int(ins.a)].littleEndian, as: UInt32.self)
                case .lb: setX(x, ins.a, UInt32(bitPattern: Int32(Int8(bitPattern: p.pointee))))
                case .sb: p.pointee = UInt8(truncatingIfNeeded: x[Int(ins.a)])
                case .ldv: UnsafeMutableRawPointer(v + Int(ins.a) * vlen).copyMemory(from: p, byteCount: n)
                case .stv: UnsafeMutableRawPointer(p).copyMemory(from: v + Int(ins.a) * vlen, byteCount: n)
                case .lda: UnsafeMutableRawPointer(a + Int(ins.a) * vlen).copyMemory(from: p, byteCount: n)
                default: UnsafeMutableRawPointer(p).copyMemory(from: a + Int(ins.a) * vlen, byteCount: n)
                }
                (occupancy, ideal) = bankCycles(address, n, banks: aBanks, width: aWidth)
            case .ldt, .stt, .ldm:
                let address = Int(x[Int(ins.b)] &+ UInt32(bitPattern: ins.imm))
                let n = op == .ldm ? tileBytes : rowBytes
                guard address + n <= wsramSize else {
                    trap = Self.memoryTrap(pc, .outOfBounds, "wsram", address, n, wsramSize, ins, issue)
                    break run
                }
                let p = wsram + address
                if op == .stt {
                    config.packing.pack(t + Int(ins.a) * vlen, count: vlen, into: p)
                } else {
                    let rowCount = op == .ldm ? rows : 1
                    let unpacked = trits.unpack(rows: rowCount, rowBytes: rowBytes, vlen: vlen, from: p, to: scratch)
                    guard unpacked.valid else {
                        let bad = trits.firstInvalid(p, count: n) ?? 0
                        trap = Trap(cause: .invalidTritCode, pc: pc, word: ins.word, cycle: issue,
                                    detail: "wsram byte \(hexAddress(address + bad)) = 0x\(hex(UInt32(p[bad]), digits: 2)) is not a valid \(config.packing.rawValue) code")
                        break run
                    }
                    if op == .ldm {
                        (m + Int(ins.a) * rows * vlen).update(from: scratch, count: rows * vlen)
                        // Trit counts for vl = VLEN come with the unpack; other vl are counted on use.
                        matrixCountVL[Int(ins.a)] = vlen
                        matrixPlus[Int(ins.a)] = unpacked.plus
                        matrixMinus[Int(ins.a)] = unpacked.minus
                    } else {
                        (t + Int(ins.a) * vlen).update(from: scratch, count: vlen)
                    }
                }
                (occupancy, ideal) = bankCycles(address, n, banks: wBanks, width: wWidth)

            // MARK: DMA
            case .dmaw, .dmaa, .dmas:
                let destination = Int(x[Int(ins.a)]), source = Int(x[Int(ins.b)]), length = Int(x[Int(ins.c)])
                let (sourceSize, destinationSize) = switch op {
                case .dmaw: (dramSize, wsramSize)
                case .dmaa: (dramSize, asramSize)
                default: (asramSize, dramSize)
                }
                guard source + length <= sourceSize && destination + length <= destinationSize else {
                    let (from, to) = op == .dmas ? ("asram", "dram") : ("dram", op == .dmaw ? "wsram" : "asram")
                    trap = Trap(cause: .dmaFault, pc: pc, word: ins.word, cycle: issue,
                                detail: "transfer of \(length) bytes from \(from) \(hexAddress(source)) to \(to) \(hexAddress(destination)): "
                                    + (source + length > sourceSize ? "the source ends beyond the \(sourceSize)-byte \(from)"
                                                                     : "the destination ends beyond the \(destinationSize)-byte \(to)"))
                    break run
                }
                let start = max(issue + 1, dma.lastEnd)
                let end = start + dmaLatency + (length + dramBytesPerCycle - 1) / dramBytesPerCycle
                dma.push(op, destination: destination, source: source, length: length, end: end)
                tallies[Int(op.rawValue)].lengthSum += length
            case .dwait:
                break

            // MARK: Ternary compute
            case .vmac:
                let acc = a + Int(ins.a) * vlen, w = t + Int(ins.b) * vlen, xs = v + Int(ins.c) * vlen
                var nonzero = 0, sum = 0
                for l in 0..<vl {
                    let trit = w[l]
                    acc[l] = acc[l] &+ Int32(trit) &* Int32(xs[l])
                    nonzero &+= Int(trit & 1)
                    sum &+= Int(trit)
                }
                tritNonzero += nonzero; tritSum += sum; tritTotal += vl
            case .mmac:
                let acc = a + Int(ins.a) * vlen, matrix = m + Int(ins.b) * rows * vlen, xs = v + Int(ins.c) * vlen
                for r in 0..<rows {
                    acc[r] = acc[r] &+ Self.dot(matrix + r * vlen, xs, vl)
                }
                let index = Int(ins.b)
                if matrixCountVL[index] != vl {
                    (matrixPlus[index], matrixMinus[index]) = Self.tritCounts(matrix, rows: rows, vlen: vlen, vl: vl)
                    matrixCountVL[index] = vl
                }
                tritNonzero += matrixPlus[index] + matrixMinus[index]
                tritSum += matrixPlus[index] - matrixMinus[index]
                tritTotal += rows * vl
            case .sgn:
                let threshold = Int64(Int32(bitPattern: x[Int(ins.c)]))
                let dst = t + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                for l in 0..<vl {
                    let value = Int64(src[l])
                    dst[l] = value > threshold ? 1 : (value < -threshold ? -1 : 0)
                }
            case .sgnb:
                let dst = t + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                for l in 0..<vl { dst[l] = src[l] >= 0 ? 1 : -1 }
            case .thr:
                let dst = t + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                let high = a + Int(ins.c) * vlen, low = a + Int(ins.d) * vlen
                for l in 0..<vl { dst[l] = src[l] > high[l] ? 1 : (src[l] < low[l] ? -1 : 0) }
            case .tcvt:
                (v + Int(ins.a) * vlen).update(from: t + Int(ins.b) * vlen, count: vl)

            // MARK: Accumulators
            case .azero:
                (a + Int(ins.a) * vlen).update(repeating: 0, count: vl)
            case .abcast:
                (a + Int(ins.a) * vlen).update(repeating: Int32(bitPattern: x[Int(ins.b)]), count: vl)
            case .awiden:
                let dst = a + Int(ins.a) * vlen, src = v + Int(ins.b) * vlen
                for l in 0..<vl { dst[l] = Int32(src[l]) }
            case .aadd, .asub, .amul:
                let dst = a + Int(ins.a) * vlen, p = a + Int(ins.b) * vlen, q = a + Int(ins.c) * vlen
                switch op {
                case .aadd: for l in 0..<vl { dst[l] = saturate32(Int64(p[l]) + Int64(q[l])) }
                case .asub: for l in 0..<vl { dst[l] = saturate32(Int64(p[l]) - Int64(q[l])) }
                default: for l in 0..<vl { dst[l] = saturate32(Int64(p[l]) * Int64(q[l])) }
                }
            case .arelu:
                let dst = a + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                for l in 0..<vl { dst[l] = Swift.max(src[l], 0) }
            case .asq:
                let dst = a + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                for l in 0..<vl { dst[l] = saturate32(Int64(src[l]) * Int64(src[l])) }
            case .amax:
                let src = a + Int(ins.b) * vlen
                var largest: Int64 = 0
                for l in 0..<vl { largest = Swift.max(largest, Swift.min(Swift.abs(Int64(src[l])), Int64(Int32.max))) }
                setX(x, ins.a, UInt32(largest))
            case .asum:
                let src = a + Int(ins.b) * vlen
                var sum: Int32 = 0
                for l in 0..<vl { sum = sum &+ src[l] }
                setX(x, ins.a, UInt32(bitPattern: sum))
            case .rq:
                let dst = v + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                let scale = Int64(Int32(bitPattern: x[Int(ins.c)]))
                let shift = Int64(x[Int(ins.d)] & 63)
                for l in 0..<vl { dst[l] = requantize(Int64(src[l]) * scale, shift: shift) }

            // MARK: Floating-point scale unit (ISA.md 7.11)
            case .fcvt:
                let dst = a + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                for l in 0..<vl { dst[l] = Int32(bitPattern: Float(src[l]).bitPattern) }
            case .fmuls, .fdivs:
                let dst = a + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                let scale = Float(bitPattern: x[Int(ins.c)])
                if op == .fmuls {
                    for l in 0..<vl { dst[l] = Int32(bitPattern: floatBits(Float(bitPattern: UInt32(bitPattern: src[l])) * scale)) }
                } else {
                    for l in 0..<vl { dst[l] = Int32(bitPattern: floatBits(Float(bitPattern: UInt32(bitPattern: src[l])) / scale)) }
                }
            case .famax:
                let src = a + Int(ins.b) * vlen
                var largest: Float = 0
                var sawNaN = false
                for l in 0..<vl {
                    let value = Float(bitPattern: UInt32(bitPattern: src[l]))
                    if value.isNaN { sawNaN = true } else { largest = Swift.max(largest, value.magnitude) }
                }
                setX(x, ins.a, sawNaN ? canonicalNaN : largest.bitPattern)
            case .fq:
                let dst = v + Int(ins.a) * vlen, src = a + Int(ins.b) * vlen
                let scale = Float(bitPattern: x[Int(ins.c)])
                for l in 0..<vl { dst[l] = quantizeFloat(Float(bitPattern: UInt32(bitPattern: src[l])) * scale) }
            case .fdiv: setX(x, ins.a, floatBits(Float(bitPattern: x[Int(ins.b)]) / Float(bitPattern: x[Int(ins.c)])))
            case .fmul: setX(x, ins.a, floatBits(Float(bitPattern: x[Int(ins.b)]) * Float(bitPattern: x[Int(ins.c)])))
            case .fmax: setX(x, ins.a, floatMax(Float(bitPattern: x[Int(ins.b)]), Float(bitPattern: x[Int(ins.c)])))
            case .ldbf, .stbf, .ldhf, .sthf, .fvadd, .fvsub, .fvmul, .fvdiv, .fvmax, .fvmac, .fadds, .fsubs, .fmaxs, .fmacs,
                 .fexp, .fsum, .frmax, .fadd, .fsub, .fsqrt:
                // TEMPORARY: semantics land with the step-loop split.
                trap = Trap(cause: .illegalInstruction, pc: pc, word: ins.word, cycle: issue, detail: "not yet implemented")
                break run
            }

            // Results, retirement, the next issue cycle.
            let resultReady = issue + occupancy - 1 + Int(ins.latency)
            ready[Int(ins.d0)] = resultReady
            ready[Int(ins.d1)] = resultReady
            let sramPort = ideal - 1, bankConflict = occupancy - ideal
            stallSRAM += sramPort
            stallBank += bankConflict
            next = issue + occupancy
            if taken {
                next += branchPenalty
                stallBranch += branchPenalty
                if op != .jalr { nextPC = Int(ins.imm) }
            }
            let tally = tallies + Int(op.rawValue)
            tally.pointee.count += 1
            tally.pointee.vlSum += vl
            tally.pointee.vlTritBytesSum += (vl + 3) >> 2
            retired += 1
            if Observer.tracesInstructions {
                observer.retired(TraceRecord(pc: pc, word: ins.word, cycle: issue, dataStall: dataStall, waitStall: waitStall,
                                             waitCause: waitCause, sramPortStall: sramPort, bankConflictStall: bankConflict,
                                             branchStall: taken ? branchPenalty : 0, vl: vl))
            }
            if retired & 0x3F_FFFF == 0 { observer.progress(cycle: issue, retired: retired) }
            if op == .halt {
                dma.complete(upTo: Int.max, wsram: wsram, asram: asram, dram: dramBytes)
                counters.cycles = issue + 1
                break run
            }

            // The loop check (ISA.md 6.4), after every instruction that does not redirect.
            if !taken && op != .jalr {
                while nextPC == loopEnd {
                    let top = loopCount - 1
                    loops.remaining[top] -= 1
                    if loops.remaining[top] > 0 {
                        nextPC = loops.start[top]
                        break
                    }
                    loopCount = top
                    loopEnd = top > 0 ? loops.end[top - 1] : -1
                }
            }
            pc = nextPC
        }

        if let trap { counters.cycles = trap.cycle }
        counters.retired = retired
        counters.stalls = CaseTable { cause in
            switch cause {
            case .data: stallData
            case .sramPort: stallSRAM
            case .bankConflict: stallBank
            case .branch: stallBranch
            case .dmaQueue: stallQueue
            case .dmaWait: stallWait
            case .drain: stallDrain
            }
        }
        // nonzero = add + sub, sum = add - sub.
        counters.tritAdd = (tritNonzero + tritSum) / 2
        counters.tritSub = (tritNonzero - tritSum) / 2
        counters.tritSkip = tritTotal - tritNonzero
        self.pc = pc
        self.vl = vl
        return (counters, trap)
    }

    static func memoryTrap(_ pc: Int, _ cause: TrapCause, _ space: String, _ address: Int, _ n: Int, _ size: Int,
                           _ ins: DecodedInstruction, _ cycle: Int) -> Trap {
        let detail = switch cause {
        case .misaligned: "\(space) address \(hexAddress(address)) is not a multiple of 4"
        default: "\(space) access of \(n) bytes at \(hexAddress(address)) ends at \(hexAddress(address + n)), beyond the \(size)-byte memory"
        }
        return Trap(cause: cause, pc: pc, word: ins.word, cycle: cycle, detail: detail)
    }

    /// sum over l < n of m[l] * x[l], the adder tree of one `mmac` row.
    @inline(__always)
    static func dot(_ m: UnsafePointer<Int8>, _ x: UnsafePointer<Int8>, _ n: Int) -> Int32 {
        var sum: Int32 = 0
        for l in 0..<n { sum &+= Int32(m[l]) &* Int32(x[l]) }
        return sum
    }

    /// The +1 and -1 trits in lanes below vl of all rows of a matrix register.
    static func tritCounts(_ matrix: UnsafePointer<Int8>, rows: Int, vlen: Int, vl: Int) -> (Int, Int) {
        var nonzero = 0, sum = 0
        for r in 0..<rows {
            let row = matrix + r * vlen
            var rowNonzero: Int32 = 0, rowSum: Int32 = 0
            for l in 0..<vl {
                rowNonzero &+= Int32(row[l] & 1)
                rowSum &+= Int32(row[l])
            }
            nonzero += Int(rowNonzero); sum += Int(rowSum)
        }
        return ((nonzero + sum) / 2, (nonzero - sum) / 2)
    }

    static func decodeDetail(_ word: UInt32) -> String {
        do {
            _ = try Instruction(decoding: word)
            return "word 0x\(hex(word, digits: 8))"
        } catch {
            return "word 0x\(hex(word, digits: 8)): \(error)"
        }
    }
}

/// Writes scalar register `index` unless it is r0.
@inline(__always)
private func setX(_ x: UnsafeMutablePointer<UInt32>, _ index: Int32, _ value: UInt32) {
    if index != 0 { x[Int(index)] = value }
}

@inline(__always)
func saturate32(_ value: Int64) -> Int32 {
    Int32(clamping: value)
}

/// `rq`'s rounding (ISA.md 7.9): p / 2^shift rounded half to even, then saturated to int8.
@inline(__always)
func requantize(_ p: Int64, shift: Int64) -> Int8 {
    guard shift > 0 else { return Int8(clamping: p) }
    var q = p >> shift
    let mask = (UInt64(1) << UInt64(shift)) &- 1
    let rest = UInt64(bitPattern: p) & mask
    let half = UInt64(1) << UInt64(shift - 1)
    if rest > half || (rest == half && q & 1 == 1) { q += 1 }
    return Int8(clamping: q)
}

/// The float32 unit's one NaN (ISA.md 7.11): every NaN result is this pattern.
let canonicalNaN: UInt32 = 0x7FC0_0000

/// The bits of a float32 result, with any NaN replaced by the canonical NaN (the hardware's
/// NaN payloads differ between hosts; the ISA fixes one).
@inline(__always)
func floatBits(_ value: Float) -> UInt32 {
    value.isNaN ? canonicalNaN : value.bitPattern
}

/// `fmax` (ISA.md 7.11): the larger of two float32 values, -0.0 below +0.0, canonical NaN
/// if either is NaN.
@inline(__always)
func floatMax(_ p: Float, _ q: Float) -> UInt32 {
    if p.isNaN || q.isNaN { return canonicalNaN }
    if p > q { return p.bitPattern }
    if q > p { return q.bitPattern }
    return p.sign == .plus ? p.bitPattern : q.bitPattern   // equal: +0.0 wins over -0.0
}

/// `fq`'s rounding (ISA.md 7.11): a float32 product rounded half to even and clamped to
/// int8; NaN gives 0. The clamp compares before converting, so nothing can trap.
@inline(__always)
func quantizeFloat(_ p: Float) -> Int8 {
    if p.isNaN { return 0 }
    let r = p.rounded(.toNearestOrEven)
    if r <= -128 { return -128 }
    if r >= 127 { return 127 }
    return Int8(r)
}

func hexAddress(_ address: Int) -> String {
    "0x" + String(address, radix: 16, uppercase: true)
}
