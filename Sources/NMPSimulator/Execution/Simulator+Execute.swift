import NMPISA
import NMPSupport

extension Simulator {
    /// The step loop: ISA.md 6.8's issue algorithm for each instruction in program order
    /// until `halt` or a trap: fetch, the scoreboard and DMA waits, dispatch to the
    /// instruction group's handler (Execution/Instructions/*.swift) for the semantics of
    /// chapter 7, then result readiness, retirement, the next issue cycle and the loop check.
    func execute<Observer: RunObserver>(maxCycles: Int, observer: inout Observer) -> (Counters, Trap?) {
        let branchPenalty = config.branchPenalty
        // ISA.md 6.12: a product reads its accumulators this long after the last cycle of its
        // array work, and they are ready `mmacLatency` after that.
        let gemmRead = config.loadLatency + config.unpackLatency, gemmResult = gemmRead + config.mmacLatency
        let vlen = config.vlen, tileBytes = config.tileBytes, halfTileBytes = 2 * config.rows * config.vlen
        let code = self.code.baseAddress!, codeCount = self.code.count
        let ready = self.ready, tallies = self.tallies, regionTotals = self.regionTotals
        var core = Core(simulator: self)
        var region = 0                    // the code region of the latest instruction fetched

        var pc = self.pc
        var next = 0                      // earliest issue cycle of the next instruction
        var counters = Counters()
        var stallData = 0, stallSRAM = 0, stallBank = 0, stallBranch = 0
        var stallQueue = 0, stallWait = 0, stallDrain = 0, stallArray = 0
        var retired = 0
        var trap: Trap?

        run: while true {
            if Observer.inspectsMachine {
                // Transfers ending by now have taken effect (ISA.md 6.5) before anything the
                // observer reads; the next issue would apply them first anyway.
                core.completeTransfers(upTo: next)
                observer.willFetch(MachineView(simulator: self, pc: pc, cycle: next, retired: retired, vl: core.vl,
                                               loopCount: core.loopCount, dma: core.dma, array: core.array))
            }
            // Fetch and decode traps, at the cycle the instruction could first issue.
            guard pc >= 0 && pc < codeCount else {
                trap = Trap(cause: next >= maxCycles ? .cycleLimit : .illegalInstruction, pc: pc, word: nil, cycle: next,
                            detail: "pc \(pc) is outside the code (\(codeCount) instructions)")
                core.completeTransfers(upTo: next)
                break run
            }
            let ins = InstructionRef(pointer: code + pc)
            if Int(ins.region) != region {
                // ISA.md 6.11: the new region's cycles start where the next instruction
                // could first issue.
                RegionCounts.pass(RegionCounts(cycles: next, retired: retired, data: stallData, sramPort: stallSRAM,
                                               bankConflict: stallBank, branch: stallBranch, dmaQueue: stallQueue,
                                               dmaWait: stallWait, drain: stallDrain, tritNonzero: core.tritNonzero,
                                               tritSum: core.tritSum, tritTotal: core.tritTotal, array: stallArray),
                                  from: region, to: Int(ins.region), totals: regionTotals)
                region = Int(ins.region)
            }
            if ins.fault != .none {
                let cause: TrapCause = next >= maxCycles ? .cycleLimit : (ins.fault == .illegalLoop ? .illegalLoop : .illegalInstruction)
                trap = Trap(cause: cause, pc: pc, word: ins.word, cycle: next, detail: Self.decodeDetail(ins.word))
                core.completeTransfers(upTo: next)
                break run
            }
            let op = ins.opcode

            // Scoreboard: sources (RAW) and destinations (WAW).
            let c0 = next
            // Two-argument max only: the variadic max(_:_:_:_:) builds an array per call.
            // (Unused sources and the WAW slots of discarded results read the always-ready slot.)
            var issue = max(max(max(c0, ready[Int(ins.s0)]), max(ready[Int(ins.s1)], ready[Int(ins.s2)])),
                            max(ready[Int(ins.s3)], max(ready[Int(ins.w0)], ready[Int(ins.w1)])))
            let gemm = ins.gemmLaneBytes != 0
            let dataStall = issue &- c0
            stallData &+= dataStall
            let c1 = issue
            var waitCause = StallCause.dmaQueue
            // A product's array cycles and operands, from its pointers before it advances them.
            var gemmCycles = 0, gemmTile = 0, gemmTileBytes = 0, gemmVectors = 0, gemmVectorBytes = 0

            // DMA queue, dwait, halt and the ternary array's waits after the scoreboard
            // (ISA.md 6.8, 6.12); a wait counts as the cause that set the issue cycle.
            switch op {
            case .dmaw, .dmaa, .dmas:
                if core.dma.count == core.dma.depth && core.dma.end(at: 0) > issue { issue = core.dma.end(at: 0) }
                if op != .dmas && core.array.count > 0 {
                    // A transfer into SRAM bytes a queued product still reads waits for it.
                    let until = core.array.readersEnd(weights: op == .dmaw, low: Int(core.X(ins.a)), bytes: Int(core.X(ins.c)))
                    if until > issue { issue = until; waitCause = .array }
                }
            case .dwait:
                waitCause = .dmaWait
                let allowed = Int(ins.imm)
                if core.dma.count > allowed {
                    issue = max(issue, core.dma.end(at: core.dma.count - allowed - 1))
                }
            case .halt:
                waitCause = .drain
                issue = max(max(issue, core.dma.lastEnd), core.array.lastEnd)
                for slot in 0..<Scoreboard.alwaysReady { issue = max(issue, ready[slot]) }
            case .mgemm, .mgemz, .hgemm, .hgemz:
                // A free place in the array's queue, then the transfers into its operands.
                waitCause = .array
                core.array.retire(upTo: issue)
                if core.array.count == core.array.depth {
                    issue = max(issue, core.array.oldestEnd)
                    core.array.retire(upTo: issue)
                }
                let lane = Int(ins.gemmLaneBytes)
                gemmTileBytes = lane == 1 ? tileBytes : halfTileBytes
                gemmCycles = core.gemmCycles(ins, tileBytes: gemmTileBytes, laneBytes: lane)
                gemmTile = Int(core.X(ins.b)); gemmVectors = Int(core.X(ins.c))
                gemmVectorBytes = ((core.gemmCount(ins) &- 1) &* vlen &+ core.vl) &* lane
                let until = max(core.dma.writersEnd(weights: true, low: gemmTile, bytes: gemmTileBytes),
                                core.dma.writersEnd(weights: false, low: gemmVectors, bytes: gemmVectorBytes))
                if until > issue { issue = until; waitCause = .dmaWait }
            default:
                if core.array.count > 0 {
                    if ins.storeSpace != 0 {
                        // A store into bytes a queued product still reads waits for it.
                        let bytes = Int(ins.storeFixed) &+ Int(ins.storeLaneBytes) &* core.vl
                        let until = core.array.readersEnd(weights: ins.storeSpace == 2, low: core.effectiveAddress(ins), bytes: bytes)
                        if until > issue { issue = until; waitCause = .array }
                    } else if ins.group == .ternary && core.array.lastEnd > issue {
                        // The array's other instructions wait until its queue has drained.
                        issue = core.array.lastEnd
                        waitCause = .array
                    }
                }
            }
            let waitStall = issue &- c1
            if waitStall > 0 {
                switch waitCause {
                case .dmaQueue: stallQueue &+= waitStall
                case .dmaWait: stallWait &+= waitStall
                case .drain: stallDrain &+= waitStall
                default: stallArray &+= waitStall
                }
            }
            if issue >= maxCycles {
                trap = Trap(cause: .cycleLimit, pc: pc, word: ins.word, cycle: issue,
                            detail: "the instruction would issue at cycle \(issue); the limit is \(maxCycles) cycles")
                core.completeTransfers(upTo: issue)
                break run
            }
            if core.dma.count > 0 && core.dma.end(at: 0) <= issue { core.completeTransfers(upTo: issue) }

            // Semantics (chapter 7), by group.
            core.pc = pc
            core.issue = issue
            core.nextPC = pc + 1
            core.taken = false
            core.occupancy = 1
            core.ideal = 1
            switch ins.group {
            case .control: core.executeControl(ins)
            case .scalar: core.executeScalar(ins)
            case .branch: trap = core.executeBranch(ins)
            case .memory: trap = core.executeMemory(ins)
            case .dma: trap = core.executeDMA(ins)
            case .ternary: trap = core.executeTernary(ins)
            case .accumulator: core.executeAccumulator(ins)
            case .float: trap = core.executeFloat(ins)
            }
            if trap != nil { break run }
            if ins.floatLanes {
                // ISA.md 6.10: floatLanes lanes per cycle; the cycles beyond the first are
                // counted like an SRAM access's port cycles (ideal = occupancy).
                core.occupancy = max(1, (core.vl + core.floatLanes - 1) / core.floatLanes)
                core.ideal = core.occupancy
            }

            // Results, retirement, the next issue cycle.
            // (Wrapping arithmetic: cycles stay below maxCycles plus one instruction's
            // occupancy and latency, far from overflow.)
            let occupancy = core.occupancy, ideal = core.ideal, taken = core.taken
            let resultReady = issue &+ occupancy &- 1 &+ Int(ins.latency)
            ready[Int(ins.d0)] = resultReady
            ready[Int(ins.d1)] = resultReady
            var arrayStart = -1, arrayEnd = -1
            if gemm {
                // ISA.md 6.12: the product holds the issue stage for one cycle; the array takes
                // it when it has finished the one before and its accumulators will be ready
                // when it reads them, and works on it for its k SRAM cycles.
                var start = max(issue, core.array.lastEnd)
                let reads = gemmCycles &- 1 &+ gemmRead
                for a in Int(ins.a)...Int(ins.d) { start = max(start, ready[Scoreboard.accumulator + a] &- reads) }
                let end = start &+ gemmCycles
                core.array.push(end: end, tile: gemmTile, tileBytes: gemmTileBytes, vectors: gemmVectors, vectorBytes: gemmVectorBytes)
                for a in Int(ins.a)...Int(ins.d) { ready[Scoreboard.accumulator + a] = end &- 1 &+ gemmResult }
                arrayStart = start; arrayEnd = end
            }
            let sramPort = ideal &- 1, bankConflict = occupancy &- ideal
            stallSRAM &+= sramPort
            stallBank &+= bankConflict
            next = issue &+ occupancy
            if taken {
                next &+= branchPenalty
                stallBranch &+= branchPenalty
            }
            let vl = core.vl
            let tally = tallies + pc
            tally.pointee.count &+= 1
            tally.pointee.vlSum &+= vl
            tally.pointee.vlTritBytesSum &+= (vl &+ 3) >> 2
            let dmaLength = core.dmaLength
            tally.pointee.lengthSum &+= dmaLength
            core.dmaLength = 0
            retired &+= 1
            if Observer.tracesInstructions {
                let enqueued = ins.group == .dma && op != .dwait
                observer.retired(TraceRecord(pc: pc, word: ins.word, cycle: issue, dataStall: dataStall, waitStall: waitStall,
                                             waitCause: waitCause, sramPortStall: sramPort, bankConflictStall: bankConflict,
                                             branchStall: taken ? branchPenalty : 0, vl: vl, region: Int(ins.region),
                                             tritMACs: core.tritTotal, dmaBytes: enqueued ? dmaLength : -1,
                                             dmaEnd: enqueued ? core.dma.lastEnd : -1, arrayStart: arrayStart, arrayEnd: arrayEnd))
            }
            if retired & 0x3F_FFFF == 0 { observer.progress(cycle: issue, retired: retired) }
            if op == .halt {
                core.completeTransfers(upTo: Int.max)
                counters.cycles = issue + 1
                break run
            }

            // The loop check (ISA.md 6.4), after every instruction that does not redirect.
            var nextPC = core.nextPC
            if !taken {
                while nextPC == core.loopEnd {
                    let top = core.loopCount - 1
                    core.loops.remaining[top] -= 1
                    if core.loops.remaining[top] > 0 {
                        nextPC = core.loops.start[top]
                        break
                    }
                    core.loopCount = top
                    core.loopEnd = top > 0 ? core.loops.end[top - 1] : -1
                }
            }
            pc = nextPC
        }

        if let trap { counters.cycles = trap.cycle }
        counters.retired = retired
        if Observer.inspectsMachine {
            observer.ended(MachineView(simulator: self, pc: pc, cycle: counters.cycles, retired: retired, vl: core.vl,
                                       loopCount: core.loopCount, dma: core.dma, array: core.array))
        }
        RegionCounts.close(RegionCounts(cycles: counters.cycles, retired: retired, data: stallData, sramPort: stallSRAM,
                                        bankConflict: stallBank, branch: stallBranch, dmaQueue: stallQueue,
                                        dmaWait: stallWait, drain: stallDrain, tritNonzero: core.tritNonzero,
                                        tritSum: core.tritSum, tritTotal: core.tritTotal, array: stallArray),
                           in: region, totals: regionTotals)
        counters.stalls = CaseTable { cause in
            switch cause {
            case .data: stallData
            case .sramPort: stallSRAM
            case .bankConflict: stallBank
            case .branch: stallBranch
            case .dmaQueue: stallQueue
            case .dmaWait: stallWait
            case .drain: stallDrain
            case .array: stallArray
            }
        }
        // nonzero = add + sub, sum = add - sub.
        counters.tritAdd = (core.tritNonzero + core.tritSum) / 2
        counters.tritSub = (core.tritNonzero - core.tritSum) / 2
        counters.tritSkip = core.tritTotal - core.tritNonzero
        self.pc = pc
        self.vl = core.vl
        return (counters, trap)
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

/// "0x1F": an address in hex, as traps and traces write it.
public func hexAddress(_ address: Int) -> String {
    "0x" + String(address, radix: 16, uppercase: true)
}
